package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reload on SIGHUP, JSON logs and the explain log, on the relay as users run it. */
class OperationsIT {
  private static final byte[] MESSAGE =
      "From: alice@example.com\r\nSubject: ops\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  private Path config(int upstreamPort, String extra) throws Exception {
    return RelayConfigFile.write(
        dir.resolve("dkimrelay.toml"), upstreamPort, dir.resolve("keys"), "", extra);
  }

  private static int signatures(RecordingUpstream upstream, int index) throws Exception {
    String content =
        new String(
            upstream.awaitTransactions(index + 1, Duration.ofSeconds(30)).get(index).content(),
            StandardCharsets.US_ASCII);
    return content.split("DKIM-Signature: ", -1).length - 1;
  }

  private static void send(RelayProcess relay) throws Exception {
    try (SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      expect(client.reply(), "220");
      expect(client.command("EHLO c"), "250");
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
    }
  }

  private static void hangup(RelayProcess relay) {
    ExternalTool.Result kill =
        ExternalTool.run(List.of("kill", "-HUP", "" + relay.process().pid()));
    assertThat(kill.exit()).isZero();
  }

  @Test
  void sighupLoadsANewKeyAndABrokenConfigKeepsTheRunningOne() throws Exception {
    CliRun.in(
        dir, "keygen", "example.com", "--selector", "r1", "--keys", dir.resolve("keys").toString());
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Path config = config(upstream.port(), "");
      try (RelayProcess relay =
          RelayProcess.start(
              dir.resolve("relay.log"),
              List.of("-Xmx128m"),
              "run",
              "--config",
              config.toString())) {
        send(relay);
        assertThat(signatures(upstream, 0)).isEqualTo(1);

        CliRun.in(
            dir,
            "keygen",
            "example.com",
            "--selector",
            "e1",
            "--algorithm",
            "ed25519",
            "--keys",
            dir.resolve("keys").toString());
        hangup(relay);
        relay.awaitOutput("dkimrelay: reloaded: signing with 2 key(s)");
        send(relay);
        assertThat(signatures(upstream, 1)).isEqualTo(2);

        Files.writeString(
            config, "[signing]\nheaders = [\"To\"]\n", java.nio.file.StandardOpenOption.APPEND);
        hangup(relay);
        relay.awaitOutput("dkimrelay: reload failed, keeping the running configuration:");
        send(relay);
        assertThat(signatures(upstream, 2)).isEqualTo(2);
      }
    }
  }

  @Test
  void aReloadThatFindsNoKeysKeepsTheRunningOnesAndOneThatDropsADomainNamesIt() throws Exception {
    Path keys = dir.resolve("keys");
    CliRun.in(dir, "keygen", "example.com", "--selector", "r1", "--keys", keys.toString());
    CliRun.in(dir, "keygen", "example.org", "--selector", "o1", "--keys", keys.toString());
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Path config = config(upstream.port(), "");
      try (RelayProcess relay =
          RelayProcess.start(
              dir.resolve("relay.log"),
              List.of("-Xmx128m"),
              "run",
              "--config",
              config.toString())) {
        Files.writeString(
            config,
            Files.readString(config)
                .replace(keys.toString(), dir.resolve("no-such-dir").toString()));
        hangup(relay);
        relay.awaitOutput(
            "dkimrelay: reload failed, keeping the running configuration: no keys in");
        send(relay);
        assertThat(signatures(upstream, 0)).isEqualTo(1); // still signed

        Files.writeString(
            config,
            Files.readString(config)
                .replace(dir.resolve("no-such-dir").toString(), keys.toString()));
        Files.delete(keys.resolve("example.org").resolve("o1.key"));
        hangup(relay);
        relay.awaitOutput(
            "dkimrelay: warning: reload leaves example.org without keys: its mail is no longer signed");
        relay.awaitOutput("dkimrelay: reloaded: signing with 1 key(s)");
      }
    }
  }

  @Test
  void jsonLogsCarryTheTransactionLineAndExplainAddsTheDecision() throws Exception {
    CliRun.in(
        dir, "keygen", "example.com", "--selector", "r1", "--keys", dir.resolve("keys").toString());
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Path config = config(upstream.port(), "[log]\nformat = \"json\"\nexplain = true\n");
      try (RelayProcess relay =
          RelayProcess.start(
              dir.resolve("relay.log"),
              List.of("-Xmx128m"),
              "run",
              "--config",
              config.toString())) {
        send(relay);
        upstream.awaitTransactions(1, Duration.ofSeconds(30));
      }
      List<String> lines = Files.readAllLines(dir.resolve("relay.log"));
      ObjectMapper json = new ObjectMapper();
      List<String> messages = new java.util.ArrayList<>();
      for (String line : lines) {
        if (line.startsWith("{")) {
          JsonNode event = json.readTree(line);
          messages.add(event.get("formattedMessage").asText());
        }
      }
      assertThat(messages)
          .anyMatch(
              m ->
                  m.contains("explain: from=example.com d=example.com")
                      && m.contains(" h=from:from:"));
      assertThat(messages)
          .anyMatch(
              m ->
                  m.contains("mail=<alice@example.com>")
                      && m.contains("signed=d=example.com s=r1 a=rsa-sha256")
                      && m.contains("reply=\"250 2.0.0"));
      assertThat(String.join("\n", lines)).doesNotContain("PRIVATE KEY").doesNotContain("body\r");
    }
  }
}
