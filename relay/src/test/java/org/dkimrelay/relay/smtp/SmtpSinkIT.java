package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.dkimrelay.relay.testing.SmtpSink;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstream is Postfix's smtp-sink: a real MTA tool, with its failure injection. */
class SmtpSinkIT {
  private static final byte[] MESSAGE =
      "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: sink\r\n\r\n.dot\r\nbody\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  private static SmtpTestClient greeted(TestRelay relay) throws Exception {
    SmtpTestClient client = SmtpTestClient.connect(relay.port());
    expect(client.reply(), "220");
    expect(client.command("EHLO client.test"), "250");
    return client;
  }

  @Test
  void messagesRelayThroughARealSink() throws Exception {
    try (SmtpSink sink = SmtpSink.start(dir.resolve("sink"));
        TestRelay relay = TestRelay.builder(dir, sink.port()).start();
        SmtpTestClient client = greeted(relay)) {
      for (int i = 0; i < 3; i++) {
        expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      }
      expect(client.command("QUIT"), "221");
    }
  }

  @Test
  void upstreamTemporaryRefusalOfMailIsPassedBack() throws Exception {
    try (SmtpSink sink = SmtpSink.start(dir.resolve("sink"), "-r", "MAIL");
        TestRelay relay = TestRelay.builder(dir, sink.port()).start();
        SmtpTestClient client = greeted(relay)) {
      String reply = client.command("MAIL FROM:<alice@example.com>");
      assertThat(reply).matches("4\\d\\d .*").doesNotStartWith("451 4.4");
    }
  }

  @Test
  void upstreamPermanentRefusalOfRcptIsPassedBack() throws Exception {
    try (SmtpSink sink = SmtpSink.start(dir.resolve("sink"), "-f", "RCPT");
        TestRelay relay = TestRelay.builder(dir, sink.port()).start();
        SmtpTestClient client = greeted(relay)) {
      expect(client.command("MAIL FROM:<alice@example.com>"), "250");
      assertThat(client.command("RCPT TO:<bob@example.org>")).matches("5\\d\\d .*");
    }
  }

  @Test
  void upstream421AtDataBecomesATemporaryFailureOfTheTransaction() throws Exception {
    try (SmtpSink sink = SmtpSink.start(dir.resolve("sink"), "-Q", "DATA");
        TestRelay relay = TestRelay.builder(dir, sink.port()).start();
        SmtpTestClient client = greeted(relay)) {
      assertThat(client.sendMail("alice@example.com", "bob@example.org", MESSAGE))
          .startsWith("451 4.4.2 upstream connection lost");
      expect(client.command("NOOP"), "250"); // our session is still open
    }
  }

  @Test
  void upstreamHangingUpAfterTheFinalDotIsATemporaryFailure() throws Exception {
    try (SmtpSink sink = SmtpSink.start(dir.resolve("sink"), "-q", ".");
        TestRelay relay = TestRelay.builder(dir, sink.port()).start();
        SmtpTestClient client = greeted(relay)) {
      assertThat(client.sendMail("alice@example.com", "bob@example.org", MESSAGE))
          .startsWith("451 4.4.2");
    }
  }

  @Test
  void slowUpstreamTimesOutAsATemporaryFailure() throws Exception {
    try (SmtpSink sink = SmtpSink.start(dir.resolve("sink"), "-W", "MAIL:5");
        TestRelay relay =
            TestRelay.builder(dir, sink.port()).upstreamTimeout(Duration.ofSeconds(1)).start();
        SmtpTestClient client = greeted(relay)) {
      assertThat(client.command("MAIL FROM:<alice@example.com>"))
          .startsWith("451 4.4.1 upstream unavailable")
          .contains("did not answer MAIL in time");
    }
  }
}
