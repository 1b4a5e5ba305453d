package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dkimrelay run} as users start it: the shaded jar in its own JVM. */
class RunIT {
  private static final Pattern LISTENING =
      Pattern.compile("dkimrelay listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern RECORD =
      Pattern.compile("^\\s+(\\S+)\\._domainkey\\.example\\.com\\. 3600 IN TXT (.*)$");

  @TempDir Path dir;

  /** A relay process and what it printed up to "listening". */
  private record Relay(
      Process process,
      int port,
      Map<String, String> records,
      List<String> output,
      BufferedReader stdout) {

    /** Reads the relay's standard output until a line contains {@code text}. */
    void awaitOutput(String text) throws IOException {
      for (String line = stdout.readLine(); line != null; line = stdout.readLine()) {
        if (line.contains(text)) {
          return;
        }
      }
      throw new AssertionError("the relay exited without printing: " + text);
    }
  }

  private Path config(int upstreamPort, String extra) throws IOException {
    return Files.writeString(
        dir.resolve("dkimrelay.toml"),
        "[listen]\naddress = \"127.0.0.1:0\"\n[upstream]\naddress = \"127.0.0.1:"
            + upstreamPort
            + "\"\n"
            + "[signing]\nkeys = \""
            + dir.resolve("keys")
            + "\"\n"
            + extra);
  }

  private static List<String> command(String heap, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.add(heap);
    command.addAll(List.of("-jar", Path.of("target", "dkimrelay.jar").toAbsolutePath().toString()));
    command.addAll(List.of(args));
    return command;
  }

  private Relay start(String heap, String... args) throws IOException {
    Process process =
        new ProcessBuilder(command(heap, args))
            .redirectError(dir.resolve("relay.log").toFile())
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    Map<String, String> records = new HashMap<>();
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      lines.add(line);
      Matcher record = RECORD.matcher(line);
      if (record.matches()) {
        records.put(
            record.group(1) + "._domainkey.example.com",
            record.group(2).replace("\" \"", "").replace("\"", ""));
      }
      Matcher listening = LISTENING.matcher(line);
      if (listening.find()) {
        return new Relay(process, Integer.parseInt(listening.group(1)), records, lines, out);
      }
    }
    throw new AssertionError(
        "relay exited before listening: "
            + lines
            + "\n"
            + Files.readString(dir.resolve("relay.log")));
  }

  @Test
  void runWithDomainCreatesTheKeyPrintsTheRecordAndRelaysA50MegabyteMessageIn256MegabytesOfHeap()
      throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Path config = config(upstream.port(), "");
      Relay relay =
          start("-Xmx256m", "run", "--config", config.toString(), "--domain", "example.com");
      try {
        assertThat(relay.output().get(0))
            .startsWith("Created rsa 2048 key ")
            .contains(" for example.com: ");
        assertThat(relay.records()).hasSize(1);
        assertThat(
                Files.getPosixFilePermissions(
                    Files.list(dir.resolve("keys/example.com"))
                        .filter(f -> f.toString().endsWith(".key"))
                        .findFirst()
                        .orElseThrow()))
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));

        byte[] line = ("y".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        int lines = 50 * 1024 * 1024 / line.length;
        try (SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
          expect(client.reply(), "220");
          expect(client.command("EHLO client.test"), "250");
          expect(client.command("MAIL FROM:<big@example.com>"), "250");
          expect(client.command("RCPT TO:<bob@example.org>"), "250");
          expect(client.command("DATA"), "354");
          client.send("From: big@example.com\r\nSubject: fifty megabytes\r\n\r\n");
          for (int i = 0; i < lines; i++) {
            client.send(line);
          }
          client.send(".\r\n");
          expect(client.reply(), "250");
        }
        RecordingUpstream.Transaction sent =
            upstream.awaitTransactions(1, Duration.ofSeconds(60)).get(0);
        assertThat(sent.content().length).isGreaterThan(lines * line.length);
        ExternalTool.Result dkimpy = Oracles.dkimpyVerify(sent.content(), relay.records());
        assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
      } finally {
        stop(relay);
      }
      assertThat(relay.process().exitValue()).isIn(0, 143); // stopped by SIGTERM
      assertThat(Files.readString(dir.resolve("relay.log"))).contains("reply=\"250 2.0.0");
    }
  }

  @Test
  void sigtermLetsTheTransactionInFlightFinish() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Relay relay =
          start(
              "-Xmx128m",
              "run",
              "--config",
              config(upstream.port(), "").toString(),
              "--domain",
              "example.com");
      try (SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
        expect(client.reply(), "220");
        expect(client.command("EHLO client.test"), "250");
        expect(client.command("MAIL FROM:<alice@example.com>"), "250");
        expect(client.command("RCPT TO:<bob@example.org>"), "250");
        expect(client.command("DATA"), "354");
        client.send("From: alice@example.com\r\nSubject: in flight\r\n\r\nfirst half, ");
        // SIGTERM while the message is half sent; through the handle, so our pipes stay open
        relay.process().toHandle().destroy();

        relay.awaitOutput("dkimrelay stopping");
        try (SmtpTestClient late = SmtpTestClient.connect(relay.port())) {
          assertThat(late.reply()).startsWith("421 4.3.2 shutting down");
        }
        client.send("second half\r\n.\r\n");
        expect(client.reply(), "250");
      } finally {
        stop(relay);
      }
      assertThat(upstream.transactions()).hasSize(1);
    }
  }

  @Test
  void runRefusesToStartWithoutKeysOrWithAKeyOthersCanRead() throws Exception {
    Path config = config(1, "");
    ExternalTool.Result noKeys =
        ExternalTool.run(command("-Xmx64m", "run", "--config", config.toString()));
    assertThat(noKeys.exit()).isEqualTo(2);
    assertThat(noKeys.stderr().strip()).startsWith("dkimrelay: no keys in ").contains("keygen");

    CliRun.in(dir, "keygen", "example.com", "--keys", dir.resolve("keys").toString());
    Path key =
        Files.list(dir.resolve("keys/example.com"))
            .filter(f -> f.toString().endsWith(".key"))
            .findFirst()
            .orElseThrow();
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    ExternalTool.Result unsafe =
        ExternalTool.run(command("-Xmx64m", "run", "--config", config.toString()));
    assertThat(unsafe.exit()).isEqualTo(2);
    assertThat(unsafe.stderr().strip().lines()).hasSize(1);
    assertThat(unsafe.stderr()).contains("run chmod 600 " + key);
  }

  @Test
  void printConfigShowsTheEffectiveConfiguration() throws Exception {
    Path config = config(2525, "unknown-domain = \"reject\"\n");
    ExternalTool.Result printed =
        ExternalTool.run(
            command("-Xmx64m", "run", "--config", config.toString(), "--print-config"));
    assertThat(printed.exit()).isZero();
    assertThat(printed.out())
        .contains("upstream.address = '127.0.0.1:2525'")
        .contains("signing.unknown-domain = 'reject'")
        .contains("listen.max-sessions = 64");
  }

  private static void stop(Relay relay) throws InterruptedException {
    relay.process().destroy(); // SIGTERM, by the PID we started
    if (!relay.process().waitFor(60, TimeUnit.SECONDS)) {
      relay.process().destroyForcibly();
    }
  }
}
