package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logins bound to what they may sign, with a real Postfix doing SMTP AUTH (Cyrus SASL, a sasldb)
 * and the dkimrelay milter: a login's own domain is signed, another domain is refused with Postfix
 * passing on our 550 5.7.1 (or passes unsigned when the policy says so, after a reload), and the
 * [senders.logins] map widens one login and narrows another. Clients come from 127.0.0.2, outside
 * the milter's internal network, as remote submission clients do.
 */
class PostfixLoginIT {
  private static final Duration LONG = Duration.ofSeconds(120);
  private static final String PASSWORD = "correct horse";
  private static final Pattern SIGNED_BY = Pattern.compile("(?s)DKIM-Signature:.*?\\bd=([^;\\s]+)");

  @TempDir static Path dir;
  private static int submitPort;
  private static PostfixInstance postfix;
  private static RecordingUpstream sink;
  private static RelayProcess relay;
  private static Path relayConfig;
  private static Map<String, String> records;

  @BeforeAll
  static void postfixWithSaslAndTheMilter() throws Exception {
    sink = RecordingUpstream.start();
    submitPort = freePort();
    int milterPort = freePort();
    Path keys = dir.resolve("keys");
    records =
        Map.of(
            "r1._domainkey.example.com",
            RelayProcess.keygen(keys, "example.com", "r1", "rsa"),
            "r1._domainkey.example.org",
            RelayProcess.keygen(keys, "example.org", "r1", "rsa"));
    relayConfig = dir.resolve("dkimrelay.toml");
    writeConfig(keys, milterPort, "reject");
    relay =
        RelayProcess.start(
            dir.resolve("relay.log"),
            List.of("-Xmx256m"),
            "run",
            "--config",
            relayConfig.toString());

    postfix = PostfixInstance.create(submitPort, sink.port());
    Path sasl = Files.createDirectories(postfix.config().resolve("sasl"));
    Path sasldb = sasl.resolve("sasldb2");
    for (String login : List.of("alice@example.com", "bob@example.net", "carol@example.com")) {
      String[] parts = login.split("@");
      ExternalTool.Result added =
          ExternalTool.run(
              (PASSWORD + "\n").getBytes(StandardCharsets.US_ASCII),
              List.of(
                  "saslpasswd2", "-p", "-c", "-f", sasldb.toString(), "-u", parts[1], parts[0]));
      assertThat(added.exit()).as(added.toString()).isZero();
    }
    Files.writeString(
        sasl.resolve("smtpd.conf"),
        "pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN\nsasldb_path: "
            + sasldb
            + "\n");
    PostfixInstance.run("chown", "-R", "postfix", sasl.toString());
    postfix.set(
        "smtpd_sasl_auth_enable=yes",
        "smtpd_sasl_type=cyrus",
        "smtpd_sasl_path=smtpd",
        "cyrus_sasl_config_path=" + sasl,
        "smtpd_milters=inet:127.0.0.1:" + milterPort,
        "milter_protocol=6",
        "milter_default_action=tempfail",
        "smtpd_relay_restrictions=permit_sasl_authenticated, reject_unauth_destination");
    postfix.start();
  }

  private static void writeConfig(Path keys, int milterPort, String onMismatch) throws IOException {
    Files.writeString(
        relayConfig,
        String.join(
                "\n",
                "[milter]",
                "address = \"inet:127.0.0.1:" + milterPort + "\"",
                "internal = [\"127.0.0.1/32\"]",
                "[listen]",
                "enabled = false",
                "[signing]",
                "keys = \"" + keys + "\"",
                "[senders]",
                "on-mismatch = \"" + onMismatch + "\"",
                "[senders.logins]",
                "\"bob@example.net\" = [\"example.net\", \"example.org\"]", // widened
                "\"carol@example.com\" = [\"news@example.com\"]", // narrowed
                "")
            + RelayConfigFile.noResolver());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @AfterAll
  static void stopAll() throws IOException {
    if (relay != null) {
      relay.close();
    }
    if (postfix != null) {
      postfix.close();
    }
    if (sink != null) {
      sink.close();
    }
  }

  /** Logs in as {@code login} and sends one message From: {@code from}: Postfix's reply. */
  private static String send(String login, String from) throws IOException {
    try (SmtpTestClient client =
        SmtpTestClient.connectFrom(InetAddress.getByName("127.0.0.2"), submitPort)) {
      expect(client.reply(), "220");
      expect(client.command("EHLO client.test"), "250");
      String credentials =
          Base64.getEncoder()
              .encodeToString(("\0" + login + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8));
      expect(client.command("AUTH PLAIN " + credentials), "235");
      byte[] message =
          ("From: " + from + "\r\nTo: bob@example.org\r\nSubject: " + login + "\r\n\r\nhello\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      return client.sendMail(from, "someone@example.org", message);
    }
  }

  /** The next message the sink receives: the d= of its signature, checked by dkimpy, or "". */
  private static String delivered(int before) throws Exception {
    byte[] message = sink.awaitTransactions(before + 1, LONG).get(before).content();
    var signed = SIGNED_BY.matcher(new String(message, StandardCharsets.US_ASCII));
    if (!signed.find()) {
      return "";
    }
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(message, records);
    assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
    return signed.group(1);
  }

  @Test
  void eachLoginHasOnlyWhatItMaySignSigned() throws Exception {
    int before = sink.transactions().size();
    expect(send("alice@example.com", "alice@example.com"), "250");
    assertThat(delivered(before++)).isEqualTo("example.com");

    assertThat(send("alice@example.com", "ceo@example.org"))
        .startsWith("550 5.7.1 not signing for this sender: login alice@example.com may not sign")
        .contains("example.org");

    expect(send("bob@example.net", "sales@example.org"), "250"); // widened by the map
    assertThat(delivered(before++)).isEqualTo("example.org");

    assertThat(send("carol@example.com", "carol@example.com")).startsWith("550 5.7.1 ");
    expect(send("carol@example.com", "news@example.com"), "250"); // narrowed to one address
    assertThat(delivered(before++)).isEqualTo("example.com");

    assertThat(sink.transactions()).hasSize(before); // nothing refused arrived
    assertThat(Files.readString(dir.resolve("relay.log")))
        .contains("login=alice@example.com")
        .contains("login-binding=\"senders.logins bob@example.net = [example.net, example.org]\"");
  }

  @Test
  void withOnMismatchUnsignedAnotherDomainPassesUnsignedNeverSigned() throws Exception {
    Path keys = dir.resolve("keys");
    int milterPort = relay.milterPort();
    writeConfig(keys, milterPort, "unsigned");
    ExternalTool.run(List.of("kill", "-HUP", "" + relay.process().pid()));
    relay.awaitLine("dkimrelay: reloaded");
    try {
      int before = sink.transactions().size();
      expect(send("alice@example.com", "ceo@example.org"), "250");
      assertThat(delivered(before)).isEmpty();
    } finally {
      writeConfig(keys, milterPort, "reject");
      ExternalTool.run(List.of("kill", "-HUP", "" + relay.process().pid()));
      relay.awaitLine("dkimrelay: reloaded");
    }
  }
}
