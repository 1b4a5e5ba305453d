package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * signing.require-published: a key whose record is not in DNS is held, and the relay starts signing
 * with it once the recheck sees the record. DNS is dnsmasq on 127.0.0.1.
 */
class DnsAwareSigningIT {
  private static final byte[] MESSAGE =
      "From: alice@example.com\r\nSubject: dns-aware\r\n\r\nbody\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  @Test
  void aSelectorPublishedLaterIsPickedUpByTheRecheckAndThenUsed() throws Exception {
    CliRun made =
        CliRun.in(
            dir,
            "keygen",
            "example.com",
            "--selector",
            "s1",
            "--json",
            "--keys",
            dir.resolve("keys").toString());
    JsonNode record = new ObjectMapper().readTree(made.out());
    List<String> strings = new ArrayList<>();
    record.get("strings").forEach(s -> strings.add(s.asText()));
    int dnsPort = Dnsmasq.freeUdpPort();

    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Path config =
          RelayConfigFile.write(
              dir.resolve("dkimrelay.toml"),
              upstream.port(),
              dir.resolve("keys"),
              "",
              "require-published = true\n[dns]\nresolver = \"127.0.0.1:"
                  + dnsPort
                  + "\"\nrecheck = \"1s\"\n");
      RelayProcess relay;
      try (Dnsmasq empty =
          Dnsmasq.start(List.of("local=/example.com/"), dir.resolve("dns1"), dnsPort)) {
        relay =
            RelayProcess.start(
                dir.resolve("relay.log"),
                List.of("-Xmx128m"),
                "run",
                "--config",
                config.toString());
        assertThat(relay.output())
            .anyMatch(
                line ->
                    line.contains("s1._domainkey.example.com: NOT published (no record): held"));
        assertThat(empty.address()).endsWith(":" + dnsPort);
        send(relay);
        byte[] unsigned = upstream.awaitTransactions(1, Duration.ofSeconds(30)).get(0).content();
        assertThat(unsigned).isEqualTo(MESSAGE); // held key: not signed (unknown-domain = pass)
      }
      try (Dnsmasq published =
              Dnsmasq.start(
                  List.of(
                      "local=/example.com/",
                      Dnsmasq.txtRecord("s1._domainkey.example.com", strings)),
                  dir.resolve("dns2"),
                  dnsPort);
          RelayProcess running = relay) {
        assertThat(published.address()).endsWith(":" + dnsPort); // the same address the relay asks
        assertThat(published.address()).endsWith(":" + dnsPort); // where the relay asks
        running.awaitOutput("s1._domainkey.example.com: published: signing with it");
        send(running);
        byte[] signed = upstream.awaitTransactions(2, Duration.ofSeconds(30)).get(1).content();
        ExternalTool.Result dkimpy =
            Oracles.dkimpyVerify(
                signed, Map.of("s1._domainkey.example.com", record.get("value").asText()));
        assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
      }
    }
  }

  private static void send(RelayProcess relay) throws Exception {
    try (SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      expect(client.reply(), "220");
      expect(client.command("EHLO c"), "250");
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
    }
  }
}
