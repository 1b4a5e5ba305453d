package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dkimrelay.relay.cli.Corpus;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A running OpenSMTPD with {@code dkimrelay opensmtpd-filter} as its proc-exec filter on the
 * listener, relaying to a sink: the interop corpus arrives signed and passes dkimpy and Mail::DKIM
 * after everything OpenSMTPD does after the filter (un-stuffing dots, adding Date: and Message-ID:
 * where missing, stripping Bcc:); malformed mail gets our 550 from smtpd.
 */
class OpenSmtpdFilterIT {
  private static final Pattern DATE = Pattern.compile("(?im)^Date:");
  private static final Duration LONG = Duration.ofSeconds(120);

  private static FilteredSmtpd smtpd;
  private static Map<String, String> records;

  @BeforeAll
  static void smtpdWithTheFilter() throws Exception {
    smtpd = FilteredSmtpd.prepare();
    Path keys = smtpd.keys();
    records =
        Map.of(
            "r1._domainkey.example.com",
            RelayProcess.keygen(keys, "example.com", "r1", "rsa"),
            "e1._domainkey.example.com",
            RelayProcess.keygen(keys, "example.com", "e1", "ed25519"),
            "r1._domainkey.xn--bcher-kva.example",
            RelayProcess.keygen(keys, "xn--bcher-kva.example", "r1", "rsa"));
    smtpd.start(List.of("-Xmx128m"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (smtpd != null) {
      smtpd.close();
    }
  }

  @Test
  void theInteropCorpusArrivesSignedAndPassesBothOutsideVerifiers() throws Exception {
    List<Corpus.Message> corpus = Corpus.forOpenSmtpd();
    List<byte[]> delivered = CorpusThroughMta.send(smtpd.port(), smtpd.sink(), corpus, LONG);
    for (int i = 0; i < corpus.size(); i++) {
      CorpusThroughMta.verify(corpus.get(i), delivered.get(i), records);
      // OpenSMTPD adds Date: after the filter when it is missing: the filter added it first
      String text = new String(delivered.get(i), StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      String header = end < 0 ? text : text.substring(0, end); // a message may be all header
      assertThat(DATE.matcher(header).results().count())
          .as(corpus.get(i).name() + ": one Date")
          .isEqualTo(1);
    }
    // one line per message in smtpd's own log, as run logs them
    assertThat(smtpd.log())
        .containsPattern(
            "INFO +MessagePipeline: opensmtpd session=\\S+ from=example.com signed=d=example.com"
                + " s=\\S+ a=\\S+,d=example.com s=\\S+ a=\\S+ size=\\d+ reply=\"proceed\"");
    assertThat(smtpd.alive()).isTrue();
  }

  @Test
  void mailFromSendmailThroughTheLocalSocketIsSignedToo() throws Exception {
    int before = smtpd.sink().transactions().size();
    byte[] message =
        ("From: cron@example.com\nTo: admin@example.org\nSubject: nightly report\n\nAll good.\n")
            .getBytes(StandardCharsets.US_ASCII);
    ExternalTool.Result sent =
        OpenSmtpdInstance.sendmail("cron@example.com", "admin@example.org", message);
    assertThat(sent.exit()).as(sent.toString()).isZero();
    byte[] delivered = smtpd.sink().awaitTransactions(before + 1, LONG).get(before).content();
    assertThat(new String(delivered, StandardCharsets.ISO_8859_1))
        .contains("Subject: nightly report")
        .containsPattern("(?im)^DKIM-Signature:.*d=example.com");
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(delivered, records);
    assertThat(dkimpy.out().lines().filter(l -> l.startsWith("pass d=example.com")))
        .as(dkimpy.toString())
        .hasSize(2); // RSA and Ed25519
    ExternalTool.Result mailDkim = Oracles.mailDkimVerify(delivered, records);
    assertThat(mailDkim.out().lines().filter(l -> l.startsWith("pass d=example.com s=r1 ")))
        .as(mailDkim.toString())
        .hasSize(1); // Debian's Mail::DKIM knows no Ed25519
  }

  @Test
  void malformedMailIsRefusedWith550AndAnUnknownDomainPassesUnsigned() throws Exception {
    int before = smtpd.sink().transactions().size();
    try (SmtpTestClient client = SmtpTestClient.connect(smtpd.port())) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("a@example.com", "dup@example.org", Corpus.DUPLICATE_FROM.bytes()))
          .startsWith("550 5.6.0 cannot sign this message: 2 From: header fields");
      assertThat(
              client.sendMail(
                  "x@example.net", "unknown@example.org", Corpus.UNKNOWN_DOMAIN.bytes()))
          .startsWith("250");
      // smtpd's own limit, before any filter: a line this long never reaches dkimrelay
      byte[] refusedBySmtpd =
          Corpus.signable().stream()
              .filter(m -> m.name().equals(Corpus.OPENSMTPD_REFUSES))
              .findFirst()
              .orElseThrow()
              .bytes();
      assertThat(client.sendMail("a@example.com", "long@example.org", refusedBySmtpd))
          .isEqualTo("500 5.0.0 Line too long");
    }
    byte[] unknown = smtpd.sink().awaitTransactions(before + 1, LONG).get(before).content();
    assertThat(new String(unknown, StandardCharsets.ISO_8859_1))
        .contains("unknown@example.org")
        .doesNotContainPattern("(?im)^DKIM-Signature:");
    assertThat(smtpd.sink().transactions()).hasSize(before + 1);
    assertThat(smtpd.alive()).isTrue();
  }
}
