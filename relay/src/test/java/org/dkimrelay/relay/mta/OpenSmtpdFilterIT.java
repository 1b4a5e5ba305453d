package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dkimrelay.relay.cli.Corpus;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RecordingUpstream;
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

  private static Path dir;
  private static RecordingUpstream sink;
  private static OpenSmtpdInstance smtpd;
  private static int port;
  private static Map<String, String> records;

  @BeforeAll
  static void smtpdWithTheFilter() throws Exception {
    dir = OpenSmtpdInstance.directory();
    Path keys = dir.resolve("keys");
    records =
        Map.of(
            "r1._domainkey.example.com", keygen(keys, "example.com", "r1", "rsa"),
            "e1._domainkey.example.com", keygen(keys, "example.com", "e1", "ed25519"),
            "r1._domainkey.xn--bcher-kva.example",
                keygen(keys, "xn--bcher-kva.example", "r1", "rsa"));
    Path relayConfig =
        Files.writeString(dir.resolve("dkimrelay.toml"), "[signing]\nkeys = \"" + keys + "\"\n");
    // The filter runs as smtpd's unprivileged user: the keys are that user's, mode 0600.
    OpenSmtpdInstance.chown("opensmtpd", dir);
    sink = RecordingUpstream.start();
    port = freePort();
    String filter =
        String.join(
            " ",
            RelayProcess.command(
                OpenSmtpdInstance.copyJar(dir),
                List.of("-Xmx128m"),
                "opensmtpd-filter",
                "--config",
                relayConfig.toString()));
    Path config =
        Files.writeString(
            dir.resolve("smtpd.conf"),
            String.join(
                "\n",
                "filter \"dkim\" proc-exec \"" + filter + "\"",
                "listen on 127.0.0.1 port " + port + " filter \"dkim\"",
                "action \"out\" relay host smtp://127.0.0.1:" + sink.port(),
                "match from any for any action \"out\"",
                ""));
    smtpd = OpenSmtpdInstance.start(config, port, dir.resolve("smtpd.log"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (smtpd != null) {
      smtpd.close();
    }
    if (sink != null) {
      sink.close();
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  private static String keygen(Path keys, String domain, String selector, String algorithm) {
    ExternalTool.Result run =
        ExternalTool.run(
            RelayProcess.command(
                List.of(),
                "keygen",
                domain,
                "--selector",
                selector,
                "--algorithm",
                algorithm,
                "--keys",
                keys.toString()));
    assertThat(run.exit()).as(run.toString()).isZero();
    String zone =
        run.out().lines().filter(line -> line.contains(" IN TXT ")).findFirst().orElseThrow();
    return zone.substring(zone.indexOf(" IN TXT ") + 8).replace("\" \"", "").replace("\"", "");
  }

  @Test
  void theInteropCorpusArrivesSignedAndPassesBothOutsideVerifiers() throws Exception {
    List<Corpus.Message> corpus = Corpus.signable();
    List<byte[]> delivered = CorpusThroughMta.send(port, sink, LONG);
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
    assertThat(smtpd.alive()).isTrue();
  }

  @Test
  void malformedMailIsRefusedWith550AndAnUnknownDomainPassesUnsigned() throws Exception {
    int before = sink.transactions().size();
    try (SmtpTestClient client = SmtpTestClient.connect(port)) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("a@example.com", "dup@example.org", Corpus.DUPLICATE_FROM.bytes()))
          .startsWith("550 5.6.0 cannot sign this message: 2 From: header fields");
      assertThat(
              client.sendMail(
                  "x@example.net", "unknown@example.org", Corpus.UNKNOWN_DOMAIN.bytes()))
          .startsWith("250");
    }
    byte[] unknown = sink.awaitTransactions(before + 1, LONG).get(before).content();
    assertThat(new String(unknown, StandardCharsets.ISO_8859_1))
        .contains("unknown@example.org")
        .doesNotContainPattern("(?im)^DKIM-Signature:");
    assertThat(sink.transactions()).hasSize(before + 1);
    assertThat(smtpd.alive()).isTrue();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
