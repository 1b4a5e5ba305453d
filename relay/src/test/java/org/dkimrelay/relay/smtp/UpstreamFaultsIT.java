package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The proxy against an upstream that fails or breaks the protocol half way through a transaction:
 * whatever upstream does, the client is never told 250 for mail upstream did not take, and a
 * transaction upstream lost is never continued on another connection.
 */
class UpstreamFaultsIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final byte[] MESSAGE =
      "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: faults\r\n\r\nHello.\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"421 4.7.0 Error: too many errors", RecordingUpstream.DROP})
  void aTransactionUpstreamLostAtRcptFailsTemporarilyAndIsNotResumedElsewhere(String failure)
      throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start().reply("RCPT TO:<R2@", failure);
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      expect(client.command("RCPT TO:<r1@example.org>"), "250");
      expect(client.command("RCPT TO:<r2@example.org>"), "451 4.4.2");
      expect(client.command("RCPT TO:<r3@example.org>"), "451 4.4.2");
      expect(client.command("RCPT TO:<r4@example.org>"), "451 4.4.2");
      expect(client.command("DATA"), "451 4.4.2");

      // r1 was told 250 and the whole transaction then 451: the client keeps the message for
      // all four. Nothing of it went upstream on another connection.
      assertThat(upstream.commands())
          .noneMatch(c -> c.contains("r3@") || c.contains("r4@") || c.equals("DATA"));
      assertThat(upstream.transactions()).isEmpty();

      // The next transaction starts afresh on a new connection.
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      RecordingUpstream.Transaction sent = upstream.awaitTransactions(1, WAIT).get(0);
      assertThat(sent.connection()).isEqualTo(2);
      assertThat(sent.rcpts()).containsExactly("RCPT TO:<bob@example.org>");
    }
  }

  @Test
  void dataAnswered250IsAProtocolViolationNotADelivery() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start().reply("DATA", "250 2.0.0 Ok");
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("alice@example.com", "bob@example.org", MESSAGE))
          .startsWith("451 4.4.2 upstream protocol violation");
      assertThat(upstream.transactions()).isEmpty();
      // that connection is not trusted again
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      assertThat(upstream.connections()).isEqualTo(2);
    }
  }

  @Test
  void aRepeatedRcptReplyIsNotTakenForTheReplyToData() throws Exception {
    try (RecordingUpstream upstream =
            RecordingUpstream.start().reply("RCPT", "250 2.1.5 Ok\r\n250 2.1.5 Ok");
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("alice@example.com", "bob@example.org", MESSAGE))
          .startsWith("451 4.4.2 upstream protocol violation");
      assertThat(upstream.transactions()).isEmpty();
    }
  }

  @Test
  void a354AfterTheFinalDotIsNotADelivery() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start().reply(".", "354 more, please");
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("alice@example.com", "bob@example.org", MESSAGE))
          .startsWith("451 4.4.2 upstream protocol violation");
    }
  }

  @Test
  void rcptSuccessRepliesArePassedOnAsUpstreamSaidThem() throws Exception {
    try (RecordingUpstream upstream =
            RecordingUpstream.start().reply("RCPT", "251 2.1.5 User not local; will forward");
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      assertThat(client.command("RCPT TO:<bob@example.org>"))
          .isEqualTo("251 2.1.5 User not local; will forward");
      expect(client.command("DATA"), "354");
      client.send(SmtpTestClient.stuff(MESSAGE));
      expect(client.reply(), "250");
    }
  }

  @Test
  void theAdvertisedSizeIsUpstreamsLessRoomForTheSignaturesAndIsEnforced() throws Exception {
    long upstreamLimit = 20_000;
    try (RecordingUpstream upstream =
            RecordingUpstream.withExtensions(
                List.of("PIPELINING", "SIZE " + upstreamLimit, "8BITMIME"));
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      Matcher size = Pattern.compile("250[- ]SIZE (\\d+)").matcher(client.command("EHLO c"));
      assertThat(size.find()).isTrue();
      long advertised = Long.parseLong(size.group(1));
      assertThat(advertised).isLessThan(upstreamLimit).isGreaterThan(upstreamLimit / 2);

      expect(client.command("MAIL FROM:<alice@example.com> SIZE=" + (advertised + 1)), "552 5.3.4");
      // a message of exactly the advertised size, signed with both keys, still fits upstream
      expect(client.sendMail("alice@example.com", "bob@example.org", message(advertised)), "250");
      assertThat(upstream.awaitTransactions(1, WAIT)).hasSize(1);
      // one byte more is refused by us, not by upstream after our signatures were added
      assertThat(client.sendMail("alice@example.com", "bob@example.org", message(advertised + 1)))
          .startsWith("552 5.3.4 message exceeds the size limit of " + advertised);
      assertThat(upstream.transactions()).hasSize(1);
      assertThat(upstream.commands()).filteredOn(c -> c.equals("DATA")).hasSize(1);
    }
  }

  /** A message of exactly {@code size} bytes, CRLF line ends, no line starting with a dot. */
  private static byte[] message(long size) {
    StringBuilder text =
        new StringBuilder(
            "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: size\r\n\r\n");
    while (text.length() + 82 <= size) {
      text.append("x".repeat(78)).append("\r\n");
    }
    text.append("y".repeat((int) (size - text.length() - 2))).append("\r\n");
    byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
    assertThat(bytes).hasSize((int) size);
    return bytes;
  }

  @Test
  void ourTimeoutRepliesCarryTheirEnhancedCodes() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay =
            TestRelay.builder(dir, upstream.port()).idleTimeout(Duration.ofSeconds(1)).start()) {
      try (SmtpTestClient idle = SmtpTestClient.connect(relay.port())) {
        expect(idle.reply(), "220");
        assertThat(idle.reply()).isEqualTo("421 4.4.2 timeout: closing the connection");
      }
      try (SmtpTestClient stalled = SmtpTestClient.connect(relay.port())) {
        stalled.reply();
        stalled.command("EHLO c");
        expect(stalled.command("MAIL FROM:<alice@example.com>"), "250");
        expect(stalled.command("RCPT TO:<bob@example.org>"), "250");
        expect(stalled.command("DATA"), "354");
        stalled.send("From: alice@example.com\r\n\r\n" + "x".repeat(100_000));
        assertThat(stalled.reply()).isEqualTo("421 4.4.2 timeout: closing the connection");
      }
      assertThat(upstream.transactions()).isEmpty();
    }
  }

  @Test
  void anUpstreamHangingAtItsGreetingIsWaitedForOncePerSession() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start().silentGreeting();
        TestRelay relay =
            TestRelay.builder(dir, upstream.port()).upstreamTimeout(Duration.ofSeconds(1)).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      expect(client.command("EHLO c"), "250"); // waited for upstream's greeting, in vain
      expect(client.command("MAIL FROM:<alice@example.com>"), "451 4.4.1");
      assertThat(upstream.connections()).isEqualTo(1); // MAIL did not wait a second time
    }
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "RCPT TO:<b@exa>mple.org>             | 501 5.5.4 Syntax: RCPT TO:<address>",
        "RCPT TO:<b\0c@example.org>           | 501 5.1.3 bad recipient address syntax",
        "RCPT TO:<b c@example.org>            | 501 5.1.3 bad recipient address syntax",
        "RCPT TO:<b@example..org>             | 501 5.1.3 bad recipient address syntax",
        "RCPT TO:<@example.org>               | 501 5.1.3 bad recipient address syntax",
        "RCPT TO:<b@-example.org>             | 501 5.1.3 bad recipient address syntax",
        "RCPT TO:<>                           | 501 5.1.3 bad recipient address syntax",
        // UTF-8 without SMTPUTF8 (RFC 6531 §3.5)
        "RCPT TO:<bö@example.org>             | 553 5.6.7 non-ASCII address needs MAIL FROM with SMTPUTF8",
        // DSN is not offered
        "RCPT TO:<b@example.org> NOTIFY=NEVER | 555 5.5.4 unsupported RCPT parameter NOTIFY=NEVER",
      })
  void badRecipientPathsAreRefusedBeforeTheyGoUpstream(String rcpt, String refusal)
      throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO c");
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      assertThat(client.command(rcpt)).isEqualTo(refusal);
      expect(client.command("RCPT TO:<bob@example.org>"), "250"); // the transaction goes on
      assertThat(upstream.commands())
          .filteredOn(c -> c.startsWith("RCPT"))
          .containsExactly("RCPT TO:<bob@example.org>");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "RCPT TO:<\"b c\"@example.org>",
        "RCPT TO:<Postmaster>",
        "RCPT TO:<b+tag@[192.0.2.1]>",
        "RCPT TO:<@relay.example,@other.example:b@example.org>",
        "RCPT TO:<b.c@sub-domain.example.org>",
      })
  void validRecipientPathsGoUpstreamAsGiven(String rcpt) throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO c");
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      expect(client.command(rcpt), "250");
      assertThat(upstream.commands()).contains(rcpt);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"MAIL FROM:<a@@example.com>", "MAIL FROM:<a\0@example.com>"})
  void badSenderPathsAreRefusedBeforeTheyGoUpstream(String mail) throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO c");
      expect(client.command(mail), "501 5.1.7");
      expect(client.command("MAIL FROM:<>"), "250"); // the null reverse-path is valid
      assertThat(upstream.commands()).filteredOn(c -> c.startsWith("MAIL")).hasSize(1);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"421 4.4.2 recording.test Error: timeout exceeded"})
  @NullSource
  void aConnectionUpstreamClosedWhileIdleIsReplacedAtTheNextMail(String notice) throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO client.test");
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      upstream.closeConnections(notice); // as smtpd_timeout does between transactions
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      assertThat(upstream.awaitTransactions(2, WAIT)).extracting(t -> t.connection()).contains(2);
    }
  }

  @Test
  void aBurstOfConnectionsIsAnsweredAtOnceGreetedOrRefused() throws Exception {
    int clients = 400;
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).maxSessions(32).start()) {
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      CountDownLatch start = new CountDownLatch(1);
      List<Socket> open = new ArrayList<>();
      List<Future<String>> answers = new ArrayList<>();
      try {
        for (int i = 0; i < clients; i++) {
          Socket socket = new Socket();
          open.add(socket);
          answers.add(pool.submit(firstLine(socket, relay.port(), start)));
        }
        start.countDown();
        List<String> unanswered = new ArrayList<>();
        int greeted = 0;
        for (Future<String> answer : answers) {
          String line = answer.get();
          if (line.startsWith("220 ")) {
            greeted++;
          } else if (!line.startsWith("421 4.3.2 ")) {
            unanswered.add(line);
          }
        }
        assertThat(unanswered).as("clients without a greeting or a 421").isEmpty();
        assertThat(greeted).isBetween(1, 32);
      } finally {
        pool.shutdownNow();
        for (Socket socket : open) {
          socket.close();
        }
      }
    }
  }

  /**
   * Connects when {@code start} opens and returns the first line the relay sent; held open after
   * that, so the greeted sessions stay taken. "no answer" when none came within ten seconds (SYN
   * retries after a full listen queue take 1, 3, 7 and 15 s).
   */
  private static Callable<String> firstLine(Socket socket, int port, CountDownLatch start) {
    return () -> {
      start.await();
      try {
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        socket.setSoTimeout(10_000);
        String line =
            new BufferedReader(
                    new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        return line == null ? "closed without a reply" : line;
      } catch (SocketTimeoutException e) {
        return "no answer in 10 s";
      } catch (IOException e) {
        return "connection failed: " + e.getMessage();
      }
    };
  }
}
