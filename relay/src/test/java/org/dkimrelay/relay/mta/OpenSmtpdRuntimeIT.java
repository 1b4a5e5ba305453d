package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.KeyZone;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The OpenSMTPD filter on the signing runtime that {@code run} has, with one smtpd running from
 * start to end (never restarted): a {@code rotate}d key takes over once DNS (dnsmasq on 127.0.0.1)
 * shows its record; a key added while it runs is seen without a signal; {@code require-published}
 * holds a key back until its record is in DNS; metrics are served; every step is logged in smtpd's
 * log. Each signature is checked by dkimpy and Mail::DKIM against what DNS holds.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OpenSmtpdRuntimeIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Pattern SELECTORS = Pattern.compile("(?s)DKIM-Signature:.*?\\bs=([^;\\s]+)");
  private static final Pattern NEW_STANDBY = Pattern.compile("New standby key (\\S+) ");

  private FilteredSmtpd smtpd;
  private Path zoneDir;
  private KeyZone zone;

  @AfterEach
  void stop() throws Exception {
    if (smtpd != null) {
      smtpd.close();
    }
    if (zone != null) {
      zone.close();
    }
    if (zoneDir != null) {
      OpenSmtpdInstance.delete(zoneDir); // dnsmasq's files: this test's own directory
    }
  }

  @Test
  void theFilterFollowsRotationNewKeysAndDnsWithoutARestartOfSmtpd() throws Exception {
    smtpd = FilteredSmtpd.prepare();
    zoneDir = Files.createTempDirectory("dkimrelay-zone-");
    zone = new KeyZone(zoneDir);
    zone.publish("r1", RelayProcess.keygen(smtpd.keys(), "example.com", "r1", "rsa"));
    smtpd.start(
        List.of("-Xmx128m"),
        "require-published = true\n",
        "[dns]\nresolver = \"127.0.0.1:"
            + zone.port()
            + "\"\nrecheck = \"1s\"\n"
            + "[rotation]\npublish-delay = \"1s\"\ngrace = \"1h\"\n"
            + "[metrics]\naddress = \"127.0.0.1:0\"\n");
    long pid = smtpd.pid();
    assertThat(send()).containsExactly("r1");

    // rotate, as the admin does it (as the filter's user), then publish the new record
    String rotated =
        smtpd.cliAsFilterUser("rotate", "example.com", "--config", smtpd.config().toString());
    Matcher standby = NEW_STANDBY.matcher(rotated);
    assertThat(standby.find()).as(rotated).isTrue();
    String next = standby.group(1);
    smtpd.awaitLog("reloaded: signing with 1 key\\(s\\)", WAIT); // the standby does not sign
    assertThat(send()).containsExactly("r1");
    zone.publish(next, RelayProcess.txtValue(rotated));
    smtpd.awaitLog("rotation: example.com/" + next + ": .*now signing with it", WAIT);
    assertThat(send()).containsExactly(next);

    // a key added while smtpd runs: held until DNS has it (require-published), then it signs
    String ed25519 =
        RelayProcess.txtValue(
            smtpd.cliAsFilterUser(
                "keygen",
                "example.com",
                "--selector",
                "e1",
                "--algorithm",
                "ed25519",
                "--keys",
                smtpd.keys().toString()));
    smtpd.awaitLog("e1._domainkey.example.com.*held, not used to sign", WAIT);
    assertThat(send()).containsExactly(next);
    zone.publish("e1", ed25519);
    smtpd.awaitLog("e1._domainkey.example.com.*signing with it", WAIT);
    assertThat(send()).containsExactlyInAnyOrder(next, "e1");

    // one line per message in smtpd's log; metrics served; the same smtpd all along
    assertThat(smtpd.log())
        .containsPattern(
            "opensmtpd session=\\S+ from=example.com signed=d=example.com s="
                + next
                + " a=rsa-sha256 size=\\d+ reply=\"proceed\"");
    String metrics = scrape(smtpd.awaitLog("metrics at http://", WAIT));
    assertThat(metrics)
        .containsPattern("dkimrelay_messages_signed_total\\{.*selector=\"e1\".*\\} 1.0")
        .containsPattern("dkimrelay_key_transitions_total\\{.*selector=\"" + next + "\".*\\} 1.0");
    assertThat(smtpd.alive()).isTrue();
    assertThat(smtpd.pid()).isEqualTo(pid);
  }

  /** Sends one message through smtpd; returns the selectors that signed it, once both verified. */
  private List<String> send() throws Exception {
    int before = smtpd.sink().transactions().size();
    byte[] message =
        ("From: alice@example.com\r\nTo: bob@example.org\r\nSubject: runtime "
                + before
                + "\r\n\r\nbody\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    try (SmtpTestClient client = SmtpTestClient.connect(smtpd.port())) {
      expect(client.reply(), "220");
      expect(client.command("EHLO client.test"), "250");
      expect(client.sendMail("alice@example.com", "bob@example.org", message), "250");
    }
    byte[] sent = smtpd.sink().awaitTransactions(before + 1, WAIT).get(before).content();
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(sent, zone.values());
    assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
    // Debian's Mail::DKIM knows no Ed25519 (it says so per signature): its RSA verdicts count
    ExternalTool.Result perl = Oracles.mailDkimVerify(sent, zone.values());
    List<String> rsa = perl.out().lines().filter(l -> l.contains(" a=rsa-sha256")).toList();
    assertThat(rsa).as(perl.toString()).hasSize(1).allMatch(l -> l.startsWith("pass "));
    return SELECTORS
        .matcher(new String(sent, StandardCharsets.US_ASCII))
        .results()
        .map(match -> match.group(1))
        .toList();
  }

  private static String scrape(String line) throws Exception {
    String at = line.substring(line.indexOf("http://")).strip();
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(at)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
