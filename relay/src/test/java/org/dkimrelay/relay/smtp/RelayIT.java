package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay over real TCP against an upstream that records every byte. */
class RelayIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final byte[] MESSAGE =
      ("From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: relay\r\n\r\n"
              + ".a line that starts with a dot\r\nHello.\r\n")
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir java.nio.file.Path dir;

  private static byte[] signatureFields(byte[] sent, byte[] original) {
    assertThat(Arrays.copyOfRange(sent, sent.length - original.length, sent.length))
        .isEqualTo(original);
    return Arrays.copyOf(sent, sent.length - original.length);
  }

  @Test
  void signsAndForwardsTheOriginalBytesAfterTheNewFields() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      expect(client.reply(), "220");
      expect(client.command("EHLO client.test"), "250");
      String reply = client.sendMail("alice@example.com", "bob@example.org", MESSAGE);

      assertThat(reply).isEqualTo("250 2.0.0 Ok: queued as 1");
      RecordingUpstream.Transaction sent = upstream.awaitTransactions(1, WAIT).get(0);
      assertThat(sent.mail()).isEqualTo("MAIL FROM:<alice@example.com>");
      assertThat(sent.rcpts()).containsExactly("RCPT TO:<bob@example.org>");
      String fields =
          new String(signatureFields(sent.content(), MESSAGE), StandardCharsets.US_ASCII);
      assertThat(fields).startsWith("DKIM-Signature: ").contains("s=r1;").contains("s=e1;");
      assertThat(new String(sent.wire(), StandardCharsets.US_ASCII))
          .contains("\r\n..a line that starts");

      ExternalTool.Result dkimpy = Oracles.dkimpyVerify(sent.content(), relay.records());
      assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
      assertThat(Oracles.mailDkimVerify(sent.content(), relay.records()).out())
          .contains("pass d=example.com s=r1 a=rsa-sha256");
    }
  }

  @Test
  void eachRecipientGetsUpstreamsOwnReplyMultiLineIncluded() throws Exception {
    try (RecordingUpstream upstream =
            RecordingUpstream.start()
                .reply("RCPT TO:<NOBODY@", "550-5.1.1 no such user here\r\n550 5.1.1 try another")
                .reply("RCPT TO:<FULL@", "452 4.2.2 mailbox full");
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      assertThat(client.command("RCPT TO:<nobody@example.org>"))
          .isEqualTo("550-5.1.1 no such user here\n550 5.1.1 try another");
      assertThat(client.command("RCPT TO:<full@example.org>")).isEqualTo("452 4.2.2 mailbox full");
      expect(client.command("RCPT TO:<bob@example.org>"), "250");
      expect(client.command("DATA"), "354");
      client.send(SmtpTestClient.stuff(MESSAGE));
      expect(client.reply(), "250");
      assertThat(upstream.awaitTransactions(1, WAIT).get(0).rcpts()).hasSize(3);
    }
  }

  @Test
  void pipelinedCommandsAreAnsweredInOrder() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      assertThat(client.command("EHLO client.test")).contains("PIPELINING");
      client.send(
          "MAIL FROM:<alice@example.com>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
      expect(client.reply(), "250");
      expect(client.reply(), "250");
      expect(client.reply(), "250");
      expect(client.reply(), "354");
      client.send(SmtpTestClient.stuff(MESSAGE));
      expect(client.reply(), "250");
      expect(client.command("QUIT"), "221");
    }
  }

  @Test
  void smugglingAttemptArrivesAsOneMessage() throws Exception {
    byte[] smuggling =
        ("From: alice@example.com\r\nSubject: smuggle\r\n\r\nfirst\n.\r\nMAIL FROM:<evil@example.net>\r\n"
                + "RCPT TO:<victim@example.org>\r\nDATA\r\nFrom: ceo@example.com\r\n\r\nsmuggled\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      String reply = client.sendMail("alice@example.com", "bob@example.org", smuggling);

      expect(reply, "250");
      expect(client.command("QUIT"), "221");
      assertThat(upstream.transactions()).hasSize(1);
      assertThat(upstream.commands()).filteredOn(c -> c.startsWith("MAIL")).hasSize(1);
      String content =
          new String(upstream.transactions().get(0).content(), StandardCharsets.US_ASCII);
      // the bare LF became CRLF, and the dot line after it went out stuffed: content, not an end
      assertThat(content).contains("first\r\n.\r\nMAIL FROM:<evil@example.net>");
      assertThat(new String(upstream.transactions().get(0).wire(), StandardCharsets.US_ASCII))
          .contains("first\r\n..\r\nMAIL FROM:");
    }
  }

  @Test
  void clientDisconnectMidDataSendsNothingUpstream() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start()) {
      try (SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
        client.reply();
        client.command("EHLO client.test");
        expect(client.command("MAIL FROM:<alice@example.com>"), "250");
        expect(client.command("RCPT TO:<bob@example.org>"), "250");
        expect(client.command("DATA"), "354");
        client.send("From: alice@example.com\r\nSubject: cut\r\n\r\nhalf a mess");
      }
      upstream.awaitCommand("QUIT", WAIT);
      assertThat(upstream.commands()).noneMatch(c -> c.equals("DATA"));
      assertThat(upstream.transactions()).isEmpty();
    }
  }

  @Test
  void upstreamDisconnectAfterTheFinalDotIsATemporaryFailure() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start().reply(".", RecordingUpstream.DROP);
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("alice@example.com", "bob@example.org", MESSAGE))
          .startsWith("451 4.4.2 upstream connection lost");
      // the session goes on, on a new upstream connection
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      assertThat(upstream.connections()).isEqualTo(2);
    }
  }

  @Test
  void malformedMessageIsRefusedAndTheConnectionIsReused() throws Exception {
    byte[] twoFroms =
        "From: a@example.com\r\nFrom: b@example.net\r\n\r\nx\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("a@example.com", "bob@example.org", twoFroms))
          .isEqualTo(
              "550 5.6.0 cannot sign this message: 2 From: header fields (exactly one allowed)");
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      assertThat(upstream.connections()).isEqualTo(1);
      assertThat(upstream.commands())
          .contains("RSET"); // the refused transaction was reset upstream
      assertThat(upstream.transactions()).hasSize(1);
    }
  }

  @Test
  void unknownDomainIsForwardedUnsignedOrRefusedByPolicy() throws Exception {
    byte[] other =
        "From: x@example.net\r\nSubject: s\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay passing = TestRelay.builder(dir.resolve("pass"), upstream.port()).start();
        TestRelay rejecting =
            TestRelay.builder(dir.resolve("reject"), upstream.port())
                .rejectUnknownDomains()
                .start()) {
      try (SmtpTestClient client = SmtpTestClient.connect(passing.port())) {
        client.reply();
        client.command("EHLO c");
        expect(client.sendMail("x@example.net", "bob@example.org", other), "250");
      }
      assertThat(upstream.awaitTransactions(1, WAIT).get(0).content()).isEqualTo(other);
      try (SmtpTestClient client = SmtpTestClient.connect(rejecting.port())) {
        client.reply();
        client.command("EHLO c");
        assertThat(client.sendMail("x@example.net", "bob@example.org", other))
            .isEqualTo("550 5.7.1 not signing for this sender: no key for From domain example.net");
      }
    }
  }

  @Test
  void oversizedMessageIsRefusedAndTheSessionStaysUsable() throws Exception {
    byte[] big =
        ("From: alice@example.com\r\n\r\n" + "x".repeat(998) + "\r\n")
            .repeat(200)
            .getBytes(StandardCharsets.US_ASCII);
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).maxMessageSize(100_000).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      assertThat(client.command("EHLO c")).contains("SIZE 100000");
      assertThat(client.command("MAIL FROM:<alice@example.com> SIZE=200000"))
          .startsWith("552 5.3.4");
      assertThat(client.sendMail("alice@example.com", "bob@example.org", big))
          .startsWith("552 5.3.4");
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      assertThat(upstream.transactions()).hasSize(1);
    }
  }

  @Test
  void clientOutsideTheAllowlistIsRefusedAtConnect() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).allow("127.0.0.1/32").start();
        SmtpTestClient allowed = SmtpTestClient.connect(relay.port());
        SmtpTestClient other =
            SmtpTestClient.connectFrom(InetAddress.getByName("127.0.0.2"), relay.port())) {
      expect(allowed.reply(), "220");
      assertThat(other.reply()).startsWith("554 5.7.1 access denied");
      assertThat(other.reply()).isNull(); // and the connection is closed
    }
  }

  @Test
  void sessionsOverTheLimitGet421() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).maxSessions(2).start();
        SmtpTestClient first = SmtpTestClient.connect(relay.port());
        SmtpTestClient second = SmtpTestClient.connect(relay.port())) {
      expect(first.reply(), "220");
      expect(second.reply(), "220");
      try (SmtpTestClient third = SmtpTestClient.connect(relay.port())) {
        assertThat(third.reply()).startsWith("421 4.3.2 too many sessions");
      }
    }
  }

  @Test
  void eightBitMimeIsOfferedOnlyWhenUpstreamHasItAndNeverDowngraded() throws Exception {
    byte[] eightBit =
        "From: alice@example.com\r\nSubject: caf\u00e9\r\n\r\nna\u00efve\r\n"
            .getBytes(StandardCharsets.UTF_8);
    try (RecordingUpstream with = RecordingUpstream.start();
        RecordingUpstream without =
            RecordingUpstream.withExtensions(List.of("PIPELINING", "SIZE 1000000"));
        TestRelay toWith = TestRelay.builder(dir.resolve("with"), with.port()).start();
        TestRelay toWithout = TestRelay.builder(dir.resolve("without"), without.port()).start()) {
      try (SmtpTestClient client = SmtpTestClient.connect(toWith.port())) {
        client.reply();
        assertThat(client.command("EHLO c")).contains("8BITMIME").contains("SMTPUTF8");
        expect(client.command("MAIL FROM:<alice@example.com> BODY=8BITMIME SMTPUTF8"), "250");
        expect(client.command("RCPT TO:<bob@example.org>"), "250");
        expect(client.command("DATA"), "354");
        client.send(SmtpTestClient.stuff(eightBit));
        expect(client.reply(), "250");
        assertThat(with.transactions().get(0).mail())
            .isEqualTo("MAIL FROM:<alice@example.com> BODY=8BITMIME SMTPUTF8");
      }
      try (SmtpTestClient client = SmtpTestClient.connect(toWithout.port())) {
        client.reply();
        assertThat(client.command("EHLO c")).doesNotContain("8BITMIME").doesNotContain("SMTPUTF8");
        assertThat(client.sendMail("alice@example.com", "bob@example.org", eightBit))
            .startsWith("554 5.6.3");
        assertThat(without.transactions()).isEmpty();
      }
    }
  }

  @Test
  void idleClientsAndStalledDataAreTimedOut() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay =
            TestRelay.builder(dir, upstream.port()).idleTimeout(Duration.ofSeconds(1)).start()) {
      try (SmtpTestClient idle = SmtpTestClient.connect(relay.port())) {
        expect(idle.reply(), "220");
        assertThat(idle.reply()).startsWith("421"); // said by the relay after a second of silence
      }
      try (SmtpTestClient stalled = SmtpTestClient.connect(relay.port())) {
        stalled.reply();
        stalled.command("EHLO c");
        expect(stalled.command("MAIL FROM:<alice@example.com>"), "250");
        expect(stalled.command("RCPT TO:<bob@example.org>"), "250");
        expect(stalled.command("DATA"), "354");
        stalled.send("From: alice@example.com\r\n\r\nhalf");
        assertThat(stalled.reply()).startsWith("421");
      }
      upstream.awaitCommand("QUIT", WAIT);
      assertThat(upstream.transactions()).isEmpty(); // nothing of the stalled message went on
    }
  }

  @Test
  void clientsTricklingBytesAreCutOffAndTheirSessionsFreed() throws Exception {
    // Each byte comes well within the idle timeout, so only the pace watchdog can end these.
    Duration timeout = Duration.ofSeconds(2);
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).idleTimeout(timeout).start()) {
      try (SmtpTestClient slowCommand = SmtpTestClient.connect(relay.port())) {
        expect(slowCommand.reply(), "220");
        long start = System.nanoTime();
        Thread trickle = trickle(slowCommand, "EHLO a-very-slow-client.example\r\n");
        assertThat(slowCommand.reply()).isEqualTo("421 4.4.2 timeout: closing the connection");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(timeout.multipliedBy(3));
        assertThat(slowCommand.reply()).isNull();
        trickle.join(WAIT.toMillis());
      }
      try (SmtpTestClient slowData = SmtpTestClient.connect(relay.port())) {
        slowData.reply();
        slowData.command("EHLO c");
        expect(slowData.command("MAIL FROM:<alice@example.com>"), "250");
        expect(slowData.command("RCPT TO:<bob@example.org>"), "250");
        expect(slowData.command("DATA"), "354");
        Thread trickle = trickle(slowData, "From: alice@example.com\r\n\r\n" + "x".repeat(200));
        assertThat(slowData.reply()).isEqualTo("421 4.4.2 timeout: closing the connection");
        trickle.join(WAIT.toMillis());
      }
      upstream.awaitCommand("QUIT", WAIT); // the upstream connection was closed with the session
      assertThat(upstream.transactions()).isEmpty();
      awaitOpenSessions(relay, 0);
    }
  }

  /** Sends {@code text} at about three bytes a second on its own thread, until the peer closes. */
  private static Thread trickle(SmtpTestClient client, String text) {
    Thread thread =
        new Thread(
            () -> {
              try {
                for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
                  client.send(new byte[] {b});
                  Thread.sleep(300);
                }
              } catch (java.io.IOException | InterruptedException e) {
                // the relay closed the connection: what the test waits for
              }
            });
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void awaitOpenSessions(TestRelay relay, int expected) throws InterruptedException {
    String gauge = "dkimrelay_sessions_open " + expected + ".0";
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!relay.metrics().scrape().contains(gauge) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(relay.metrics().scrape()).contains(gauge);
  }

  @Test
  void upstreamThatRefusesEhloIsGreetedWithHelo() throws Exception {
    try (RecordingUpstream upstream =
            RecordingUpstream.start().reply("EHLO", "502 5.5.1 EHLO not here");
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      assertThat(client.command("EHLO c")).doesNotContain("8BITMIME"); // nothing known of upstream
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      assertThat(upstream.commands()).startsWith("EHLO relay.test", "HELO relay.test");
    }
  }

  @Test
  void unreachableUpstreamIsATemporaryFailure() throws Exception {

    int closed;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    try (TestRelay relay = TestRelay.builder(dir, closed).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      expect(client.command("EHLO c"), "250");
      assertThat(client.command("MAIL FROM:<alice@example.com>"))
          .startsWith("451 4.4.1 upstream unavailable");
    }
  }
}
