package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A running OpenSMTPD with the filter at -Xmx256m, fed what once took smtpd down or altered mail:
 * large messages at once (the filter spools them instead of holding them on the heap), and a bare
 * CR inside a line (data, not a line end). smtpd stays up and every message arrives signed and
 * unchanged, verified by dkimpy and Mail::DKIM.
 */
class OpenSmtpdHostileIT {
  private static final Duration LONG = Duration.ofSeconds(240);
  private static final int LARGE = 30 * 1024 * 1024; // under OpenSMTPD's 35 MB default limit

  private static FilteredSmtpd smtpd;
  private static Map<String, String> records;

  @BeforeAll
  static void smtpdWithTheFilter() throws Exception {
    smtpd = FilteredSmtpd.prepare();
    Path keys = smtpd.keys();
    records =
        Map.of("r1._domainkey.example.com", RelayProcess.keygen(keys, "example.com", "r1", "rsa"));
    smtpd.start(List.of("-Xmx256m"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (smtpd != null) {
      smtpd.close();
    }
  }

  private static byte[] message(String subject, String body) {
    return ("From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: "
            + subject
            + "\r\nDate: Sat, 5 Dec 2026 10:00:00 +0000\r\nMessage-ID: <"
            + subject
            + "@example.com>\r\n\r\n"
            + body)
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  private static void verifiedByBothOracles(byte[] delivered) {
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(delivered, records);
    assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
    ExternalTool.Result mailDkim = Oracles.mailDkimVerify(delivered, records);
    assertThat(mailDkim.exit()).as(mailDkim.toString()).isZero();
  }

  private static byte[] deliveredWithSubject(String subject, int expected) throws Exception {
    for (RecordingUpstream.Transaction transaction :
        smtpd.sink().awaitTransactions(expected, LONG)) {
      String text = new String(transaction.content(), StandardCharsets.ISO_8859_1);
      if (text.contains("Subject: " + subject + "\r\n")) {
        return transaction.content();
      }
    }
    throw new AssertionError("no message with subject " + subject);
  }

  @Test
  void eightLargeMessagesAtOnceAreSpooledSignedAndDeliveredWhileSmtpdStaysUp() throws Exception {
    int before = smtpd.sink().transactions().size();
    ByteArrayOutputStream body = new ByteArrayOutputStream(LARGE);
    for (int line = 0; body.size() < LARGE; line++) {
      body.writeBytes(
          String.format(
                  "%08d the quick brown fox jumps over the lazy dog, again and again\r\n", line)
              .getBytes(StandardCharsets.US_ASCII));
    }
    String text = body.toString(StandardCharsets.US_ASCII);
    ExecutorService clients = Executors.newFixedThreadPool(8);
    List<Future<String>> replies = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] message = message("large-" + i, text);
      replies.add(
          clients.submit(
              () -> {
                try (SmtpTestClient client = SmtpTestClient.connect(smtpd.port())) {
                  client.reply();
                  client.command("EHLO client.test");
                  return client.sendMail("alice@example.com", "bob@example.org", message);
                }
              }));
    }
    clients.shutdown();
    assertThat(clients.awaitTermination(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
    for (Future<String> reply : replies) {
      assertThat(reply.get()).startsWith("250");
    }
    assertThat(smtpd.alive()).as("smtpd after the filter held 240 MB at once").isTrue();
    for (int i = 0; i < 8; i++) {
      byte[] delivered = deliveredWithSubject("large-" + i, before + 8);
      assertThat(delivered.length).isGreaterThan(LARGE);
      if (i < 2) { // the oracles take a while on 30 MB: two of eight, all have a signature
        verifiedByBothOracles(delivered);
      } else {
        assertThat(new String(delivered, 0, 34, StandardCharsets.ISO_8859_1))
            .isEqualTo("DKIM-Signature: v=1; a=rsa-sha256;");
      }
    }
  }

  @Test
  void aBareCrInsideALineArrivesUnchangedAndSigned() throws Exception {
    int before = smtpd.sink().transactions().size();
    byte[] message = message("bare-cr", "part one\rpart two\r\ninnocent\rconfig|ready\r\nend\r\n");
    try (SmtpTestClient client = SmtpTestClient.connect(smtpd.port())) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("alice@example.com", "bob@example.org", message))
          .startsWith("250");
    }
    byte[] delivered = deliveredWithSubject("bare-cr", before + 1);
    assertThat(new String(delivered, StandardCharsets.ISO_8859_1))
        .contains("\r\n\r\npart one\rpart two\r\ninnocent\rconfig|ready\r\nend\r\n");
    verifiedByBothOracles(delivered);
    assertThat(smtpd.alive()).isTrue();
  }
}
