package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.cli.Corpus;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;

/**
 * The chain shape, as conf/opensmtpd/smtpd.conf ships it (only the ports changed): a running smtpd
 * relays outgoing mail to the dkimrelay proxy, which hands it back signed on the tagged listener,
 * from where it is relayed to the sink. Nothing refused is delivered; what arrives verifies;
 * OpenSMTPD's own bounces (From: MAILER-DAEMON@a short host name) pass unsigned.
 */
class OpenSmtpdChainIT {
  private static final Duration LONG = Duration.ofSeconds(120);

  @Test
  void theShippedChainSignsWhatArrivesAndDeliversNothingRefused() throws Exception {
    Path dir = OpenSmtpdInstance.directory();
    int submit = freePort();
    int tagged = freePort();
    int dnsPort = Dnsmasq.freeUdpPort();
    try (RecordingUpstream sink = RecordingUpstream.start();
        Dnsmasq dns = Dnsmasq.start(List.of("local=/example.com/"), dir.resolve("dns"), dnsPort)) {
      Path keys = dir.resolve("keys");
      ExternalTool.Result keygen =
          ExternalTool.run(
              RelayProcess.command(
                  List.of(),
                  "keygen",
                  "example.com",
                  "--selector",
                  "r1",
                  "--keys",
                  keys.toString()));
      assertThat(keygen.exit()).as(keygen.toString()).isZero();
      Path relayConfig =
          Files.writeString(
              dir.resolve("dkimrelay.toml"),
              "[listen]\naddress = \"127.0.0.1:0\"\n[upstream]\naddress = \"127.0.0.1:"
                  + tagged
                  + "\"\n[signing]\nkeys = \""
                  + keys
                  + "\"\n[dns]\nresolver = \""
                  + dns.address()
                  + "\"\n");
      try (RelayProcess relay =
          RelayProcess.start(
              dir.resolve("relay.log"),
              List.of("-Xmx128m"),
              "run",
              "--config",
              relayConfig.toString())) {
        String shipped = Files.readString(Path.of("..", "conf", "opensmtpd", "smtpd.conf"));
        Path config =
            Files.writeString(
                dir.resolve("smtpd.conf"),
                "listen on 127.0.0.1 port "
                    + submit
                    + "\n"
                    + shipped
                        .replace("listen on lo port 10028", "listen on 127.0.0.1 port " + tagged)
                        .replace("smtp://127.0.0.1:10027", "smtp://127.0.0.1:" + relay.port())
                        .replace(
                            "action \"outbound\" relay",
                            "action \"outbound\" relay host smtp://127.0.0.1:" + sink.port()));
        try (OpenSmtpdInstance smtpd =
            OpenSmtpdInstance.start(config, submit, dir.resolve("smtpd.log"))) {
          List<Corpus.Message> messages = new ArrayList<>(Corpus.signable().subList(0, 3));
          messages.addAll(
              Corpus.longLines().stream()
                  .filter(m -> !m.name().equals(Corpus.OPENSMTPD_REFUSES))
                  .toList());
          try (SmtpTestClient client = SmtpTestClient.connect(submit)) {
            client.reply();
            client.command("EHLO client.test");
            for (int i = 0; i < messages.size(); i++) {
              assertThat(
                      client.sendMail(
                          "alice@example.com", "c" + i + "@example.org", messages.get(i).bytes()))
                  .as(messages.get(i).name())
                  .startsWith("250");
            }
            // Accepted by smtpd, refused by dkimrelay: smtpd bounces it to the sender, and the
            // bounce (From: MAILER-DAEMON@<short host name>) goes through dkimrelay unsigned.
            assertThat(
                    client.sendMail(
                        "alice@example.com", "dup@example.org", Corpus.DUPLICATE_FROM.bytes()))
                .startsWith("250");
          }
          List<RecordingUpstream.Transaction> arrived =
              sink.awaitTransactions(messages.size() + 1, LONG);
          for (RecordingUpstream.Transaction transaction : arrived) {
            String text = new String(transaction.content(), StandardCharsets.ISO_8859_1);
            assertThat(transaction.rcpts()).noneMatch(line -> line.contains("dup@example.org"));
            if (transaction.rcpts().stream().anyMatch(line -> line.contains("alice@example.com"))) {
              assertThat(text)
                  .containsPattern("(?im)^From: .*MAILER-DAEMON@")
                  .doesNotContainPattern("(?im)^DKIM-Signature:");
              continue;
            }
            ExternalTool.Result perl =
                Oracles.mailDkimVerify(transaction.content(), relay.records());
            assertThat(perl.out())
                .as(perl + "\n" + text)
                .startsWith("pass d=example.com s=r1 a=rsa-sha256");
            ExternalTool.Result dkimpy =
                Oracles.dkimpyVerify(transaction.content(), relay.records());
            assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
          }
          assertThat(arrived).as(smtpd.log()).hasSize(messages.size() + 1); // and the bounce
        }
      }
    } finally {
      ExternalTool.run(List.of("rm", "-rf", dir.toString()));
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
