package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.KeyZone;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key rotation as an admin lives it: the relay as its own process, DNS from dnsmasq on 127.0.0.1
 * (restarted on the same port to "publish" a record), the lifecycle in seconds instead of days, and
 * the relay restarted in every state. Each signature is checked by dkimpy against what DNS holds.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RotationIT {
  private static final byte[] MESSAGE =
      "From: alice@example.com\r\nSubject: rotation\r\n\r\nbody\r\n"
          .getBytes(StandardCharsets.US_ASCII);
  private static final Pattern SELECTOR = Pattern.compile("(?s)DKIM-Signature:.*?\\bs=([^;\\s]+)");
  private static final Pattern NEW_STANDBY = Pattern.compile("New standby key (\\S+) ");
  private static final Pattern DUE = Pattern.compile("example\\.com/(\\S+): new standby key");

  @TempDir Path dir;
  private Path keys;
  private KeyZone zone;
  private RecordingUpstream upstream;

  @BeforeEach
  void firstKeyPublished() throws Exception {
    keys = dir.resolve("keys");
    cli("keygen", "example.com", "--selector", "r1", "--keys", keys.toString());
    zone = new KeyZone(dir);
    publish("r1");
    upstream = RecordingUpstream.start();
  }

  @AfterEach
  void stop() throws Exception {
    zone.close();
    upstream.close();
  }

  private Path config(String rotation) throws Exception {
    return RelayConfigFile.write(
        dir.resolve("dkimrelay.toml"),
        upstream.port(),
        keys,
        "",
        "[dns]\nresolver = \"127.0.0.1:"
            + zone.port()
            + "\"\nrecheck = \"1s\"\n[rotation]\n"
            + rotation);
  }

  private static CliRun cli(String... args) {
    CliRun run = CliRun.at(Instant.now(), Path.of("."), new byte[0], args);
    assertThat(run.exit()).as(run.err()).isZero();
    return run;
  }

  private void publish(String selector) throws Exception {
    zone.publish(
        selector,
        new ObjectMapper()
            .readTree(
                cli("keys", "show", "example.com", selector, "--json", "--keys", keys.toString())
                    .out()));
  }

  private RelayProcess start(Path config) throws Exception {
    return RelayProcess.start(
        dir.resolve("relay.log"), List.of("-Xmx128m"), "run", "--config", config.toString());
  }

  /** Sends one message; returns the selector that signed it, after dkimpy verified it. */
  private String send(RelayProcess relay) throws Exception {
    int before = upstream.transactions().size();
    try (SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      expect(client.reply(), "220");
      expect(client.command("EHLO c"), "250");
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
    }
    byte[] sent =
        upstream.awaitTransactions(before + 1, Duration.ofSeconds(30)).get(before).content();
    String text = new String(sent, StandardCharsets.US_ASCII);
    assertThat(text.split("DKIM-Signature: ", -1)).hasSize(2); // exactly one signature
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(sent, zone.values());
    assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
    Matcher selector = SELECTOR.matcher(text);
    assertThat(selector.find()).isTrue();
    return selector.group(1);
  }

  /** Waits for a line, whether the relay printed it while starting or prints it later. */
  private static String awaitLine(RelayProcess relay, String text) throws Exception {
    for (String line : relay.output()) {
      if (line.contains(text)) {
        return line;
      }
    }
    return relay.awaitLine(text);
  }

  private static String transition(String selector, String state) {
    return "dkimrelay_key_transitions_total{domain=\"example.com\",selector=\""
        + selector
        + "\",state=\""
        + state
        + "\"} 1.0";
  }

  private static String scrape(RelayProcess relay) throws Exception {
    String at =
        relay.output().stream()
            .filter(line -> line.startsWith("metrics at "))
            .findFirst()
            .orElseThrow()
            .substring("metrics at ".length());
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(at)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /**
   * Every line that looks like a record is one a zone file takes as it is, remarks included: read
   * by dnsjava's master-file parser.
   */
  private static void assertEveryRecordLineIsAZoneFileLine(List<String> output) throws Exception {
    List<String> records =
        output.stream().filter(line -> line.matches("\\s+\\S+\\. 3600 IN TXT .*")).toList();
    assertThat(records).isNotEmpty();
    for (String line : records) {
      try (org.xbill.DNS.Master zone =
          new org.xbill.DNS.Master(
              new java.io.ByteArrayInputStream(line.strip().getBytes(StandardCharsets.US_ASCII)),
              org.xbill.DNS.Name.root)) {
        org.xbill.DNS.Record record = zone.nextRecord();
        assertThat(record).as(line).isInstanceOf(org.xbill.DNS.TXTRecord.class);
        assertThat(zone.nextRecord()).as(line).isNull();
      }
    }
  }

  private String keysList() {
    return cli("keys", "list", "--config", dir.resolve("dkimrelay.toml").toString()).out();
  }

  @Test
  void rotateThenPublishAndTheRelayFinishesTheRotationEvenAcrossRestarts() throws Exception {
    Path config = config("publish-delay = \"1s\"\ngrace = \"8s\"\n");
    RelayProcess relay = start(config);
    try {
      assertThat(send(relay)).isEqualTo("r1");

      CliRun rotate = cli("rotate", "example.com", "--config", config.toString());
      Matcher created = NEW_STANDBY.matcher(rotate.out());
      assertThat(created.find()).as(rotate.out()).isTrue();
      String next = created.group(1);
      assertThat(rotate.out())
          .contains(next + "._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=");
      assertThat(keysList())
          .containsPattern(
              "example\\.com +" + next + " +rsa 2048 +standby +0d +publish its TXT record");

      // Standby: a restart keeps it, and it does not sign while DNS lacks its record.
      relay.close();
      relay = start(config);
      assertThat(relay.output())
          .anyMatch(
              line ->
                  line.contains(next + "._domainkey.example.com")
                      && line.contains("  ; standby: "));
      assertEveryRecordLineIsAZoneFileLine(relay.output());
      assertThat(send(relay)).isEqualTo("r1");

      publish(next);
      awaitLine(
          relay, "rotation: example.com/" + next + ": record seen in DNS, now signing with it");
      assertThat(send(relay)).isEqualTo(next);
      assertThat(keysList())
          .containsPattern(
              "example\\.com +r1 +rsa 2048 +retiring .*keep its TXT record published; revoked at ")
          .containsPattern("example\\.com +" + next + " +rsa 2048 +active ");

      // Retiring: a restart keeps signing with the new key only.
      relay.close();
      relay = start(config);
      assertThat(send(relay)).isEqualTo(next);

      awaitLine(
          relay,
          "rotation: example.com/r1: revoked, private key deleted; publish"
              + " r1._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=\"");
      assertThat(keys.resolve("example.com/r1.key")).doesNotExist();
      assertThat(Files.readString(keys.resolve("example.com/r1.txt")))
          .isEqualTo("r1._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=\"\n");
      assertThat(keysList())
          .containsPattern("example\\.com +r1 +rsa +revoked .*publish the revoked record");

      // Revoked: a restart keeps it so, and then the record may go.
      relay.close();
      relay = start(config);
      assertThat(send(relay)).isEqualTo(next);
      awaitLine(relay, "rotation: example.com/r1: removed; delete its TXT record");
      assertThat(keysList())
          .containsPattern("example\\.com +r1 +rsa +removed +\\d+d +delete its TXT record");
    } finally {
      relay.close();
    }
  }

  @Test
  void aFullAutomaticCycleNeedsOnlyTheDnsEditItAsksFor() throws Exception {
    Path config =
        config(
            "every = \"3s\"\npublish-delay = \"1s\"\ngrace = \"2s\"\n"
                + "[metrics]\naddress = \"127.0.0.1:0\"\n");
    try (RelayProcess relay = start(config)) {
      assertThat(send(relay)).isEqualTo("r1");
      Matcher due = DUE.matcher(awaitLine(relay, ": new standby key, rotation is due; publish "));
      assertThat(due.find()).isTrue();
      String next = due.group(1);
      assertThat(send(relay)).isEqualTo("r1"); // not before DNS has it

      publish(next);
      awaitLine(
          relay, "rotation: example.com/" + next + ": record seen in DNS, now signing with it");
      assertThat(send(relay)).isEqualTo(next);
      awaitLine(relay, "rotation: example.com/r1: revoked, private key deleted");
      assertThat(keys.resolve("example.com/r1.key")).doesNotExist();
      assertThat(send(relay)).isEqualTo(next);
      assertThat(scrape(relay))
          .contains(transition(next, "standby"))
          .contains(transition(next, "active"))
          .contains(transition("r1", "retiring"))
          .contains(transition("r1", "revoked"));
    }
    // Said once, on standard output; not again in the log (under systemd both reach the journal).
    // SubEthaSMTP's own "SMTP server ... starting" INFO lines stay out of it too.
    assertThat(Files.readString(dir.resolve("relay.log")))
        .doesNotContain("rotation: example.com/")
        .doesNotContain("SMTP server")
        .contains("reply=\"250 2.0.0");
  }
}
