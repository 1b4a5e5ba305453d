package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Postfix smtpd as dkimrelay's upstream, hanging up in the middle of a transaction as it
 * does after {@code smtpd_hard_error_limit} errors: the recipient it had accepted must not be lost
 * and no later recipient may be sent on a new connection without its MAIL.
 */
class PostfixUpstreamIT {
  // With Date: and Message-ID:, which Postfix would otherwise add after signing (and break it).
  private static final byte[] MESSAGE =
      ("From: Alice <alice@example.com>\r\nTo: r1@example.org\r\nSubject: hang-up\r\n"
              + "Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nMessage-ID: <hang-up@example.com>\r\n"
              + "\r\nHello.\r\n")
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  @Test
  void postfixHangingUpAfterTooManyErrorsLosesNoRecipient() throws Exception {
    int smtpdPort = freePort();
    try (RecordingUpstream sink = RecordingUpstream.start();
        PostfixInstance postfix = PostfixInstance.create(smtpdPort, sink.port())) {
      postfix.set(
          "smtpd_hard_error_limit=2",
          "smtpd_error_sleep_time=0",
          "smtpd_recipient_restrictions=check_recipient_access"
              + " inline:{r2@example.org=REJECT, r3@example.org=REJECT},"
              + " permit_mynetworks, reject");
      postfix.start();
      Path config =
          RelayConfigFile.write(
              dir.resolve("dkimrelay.toml"), smtpdPort, dir.resolve("keys"), "", "");
      try (RelayProcess relay =
              RelayProcess.start(
                  dir.resolve("relay.log"),
                  List.of("-Xmx256m"),
                  "run",
                  "--config",
                  config.toString(),
                  "--domain",
                  "example.com");
          SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
        expect(client.reply(), "220");
        expect(client.command("EHLO client.test"), "250");
        expect(client.command("MAIL FROM:<alice@example.com>"), "250");
        expect(client.command("RCPT TO:<r1@example.org>"), "250");
        expect(client.command("RCPT TO:<r2@example.org>"), "554 5.7.1"); // Postfix's own
        expect(client.command("RCPT TO:<r3@example.org>"), "554 5.7.1");
        // Postfix answers the next command 421 and hangs up: r1 was told 250, so the rest of the
        // transaction must be a temporary failure (the old relay gave 503 5.5.1 here, from a new
        // connection without MAIL: a bounce for mail that was accepted).
        expect(client.command("RCPT TO:<r4@example.org>"), "451 4.4.2");
        expect(client.command("DATA"), "451 4.4.2");
        assertThat(sink.transactions()).isEmpty();

        // The client tries again later, as every MTA does after a 4xx: all of it arrives, signed.
        expect(client.command("MAIL FROM:<alice@example.com>"), "250");
        expect(client.command("RCPT TO:<r1@example.org>"), "250");
        expect(client.command("RCPT TO:<r4@example.org>"), "250");
        expect(client.command("DATA"), "354");
        client.send(SmtpTestClient.stuff(MESSAGE));
        expect(client.reply(), "250");
        postfix.flush();
        RecordingUpstream.Transaction delivered =
            sink.awaitTransactions(1, Duration.ofSeconds(60)).get(0);
        assertThat(delivered.rcpts())
            .containsExactly("RCPT TO:<r1@example.org>", "RCPT TO:<r4@example.org>");
        ExternalTool.Result dkimpy = Oracles.dkimpyVerify(delivered.content(), relay.records());
        assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
        ExternalTool.Result perl = Oracles.mailDkimVerify(delivered.content(), relay.records());
        assertThat(perl.out()).as(perl.toString()).contains("pass d=example.com");
      }
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
