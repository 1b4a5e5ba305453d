package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 messages over 16 concurrent sessions from Postfix's smtp-source: every one arrives,
 * verifies with dkimpy and Mail::DKIM, and is the input plus the signature fields.
 */
class LoadIT {
  private static final int MESSAGES = 1000;
  private static final int SESSIONS = 16;

  @TempDir Path dir;

  @Test
  void thousandMessagesOverSixteenSessionsAllArriveSigned() throws Exception {
    String text =
        "From: Load Test <load@example.com>\nTo: sink@example.org\nSubject: load\n"
            + "Message-ID: <load@example.com>\n\n.leading dot\nline two";
    Path file = Files.writeString(dir.resolve("message.txt"), text);
    // smtp-source sends each line of the file with CRLF after it (man smtp-source, -F) and then
    // an empty line before the final dot; RelayIT shows the relay itself adds nothing.
    byte[] expectedContent =
        (text.replace("\n", "\r\n") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).start()) {
      ExternalTool.Result source =
          ExternalTool.run(
              List.of(
                  "/usr/sbin/smtp-source",
                  "-d",
                  "-s",
                  "" + SESSIONS,
                  "-m",
                  "" + MESSAGES,
                  "-F",
                  file.toString(),
                  "-f",
                  "load@example.com",
                  "-t",
                  "sink@example.org",
                  "-M",
                  "client.test",
                  "127.0.0.1:" + relay.port()));
      assertThat(source.exit()).as(source.toString()).isZero();

      List<RecordingUpstream.Transaction> received =
          upstream.awaitTransactions(MESSAGES, Duration.ofSeconds(120));
      assertThat(received).hasSize(MESSAGES);
      Path signed = Files.createDirectories(dir.resolve("signed"));
      for (int i = 0; i < received.size(); i++) {
        byte[] content = received.get(i).content();
        byte[] tail =
            Arrays.copyOfRange(content, content.length - expectedContent.length, content.length);
        assertThat(tail).as("message %d", i).isEqualTo(expectedContent);
        Files.write(signed.resolve(String.format("%04d.eml", i)), content);
      }

      ExternalTool.Result dkimpy = Oracles.dkimpyVerifyDirectory(signed, relay.records());
      assertThat(dkimpy.exit()).as(dkimpy.stderr()).isZero();
      assertThat(dkimpy.out().lines().filter(l -> l.contains(": pass d=example.com")))
          .hasSize(2 * MESSAGES);
      ExternalTool.Result perl = Oracles.mailDkimVerifyDirectory(signed, relay.records());
      assertThat(
              perl.out().lines().filter(l -> l.contains(": pass d=example.com s=r1 a=rsa-sha256")))
          .as(perl.stderr())
          .hasSize(MESSAGES);
    }
  }
}
