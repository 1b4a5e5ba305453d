package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.dkim.Signatures;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dkimrelay run} as users start it: the shaded jar in its own JVM. */
class RunIT {
  @TempDir Path dir;

  private Path config(int upstreamPort, String extra) throws IOException {
    return RelayConfigFile.write(
        dir.resolve("dkimrelay.toml"), upstreamPort, dir.resolve("keys"), "", extra);
  }

  /** The jar in its own JVM, run to its end. */
  private static ExternalTool.Result jar(List<String> jvmOptions, String... args) {
    return ExternalTool.run(RelayProcess.command(jvmOptions, args));
  }

  @Test
  void runWithDomainCreatesTheKeyPrintsTheRecordAndRelaysA50MegabyteMessageIn256MegabytesOfHeap()
      throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Path config = config(upstream.port(), "[metrics]\naddress = \"127.0.0.1:0\"\n");
      RelayProcess relay =
          RelayProcess.start(
              dir.resolve("relay.log"),
              List.of("-Xmx256m"),
              "run",
              "--config",
              config.toString(),
              "--domain",
              "example.com");
      try {
        assertThat(relay.output().get(0))
            .startsWith("Created rsa 2048 key ")
            .contains(" for example.com: ");
        assertThat(relay.records()).hasSize(1);
        assertThat(relay.output())
            .contains(
                "Publish these TXT records ('dkimrelay check example.com --keys "
                    + dir.resolve("keys")
                    + "' compares DNS with them):");
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
        String metricsLine =
            relay.output().stream()
                .filter(l -> l.startsWith("metrics at "))
                .findFirst()
                .orElseThrow();
        String scrape =
            HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(metricsLine.substring("metrics at ".length())))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(scrape)
            .containsPattern(
                "dkimrelay_messages_signed_total\\{algorithm=\"rsa-sha256\",domain=\"example.com\",selector=\"\\d+r\"} 1.0")
            .containsPattern(
                "dkimrelay_key_age_days\\{domain=\"example.com\",selector=\"\\d+r\"} 0.0")
            .containsPattern(
                "dkimrelay_key_published\\{domain=\"example.com\",selector=\"\\d+r\"} 0.0")
            .contains(
                "dkimrelay_crypto_provider{provider=\""
                    + Signatures.selected().label()
                    + "\"} 1.0");
        assertThat(relay.output()).contains("signing with " + Signatures.selected().description());
      } finally {
        relay.close();
      }
      assertThat(relay.process().exitValue()).isIn(0, 143); // stopped by SIGTERM
      assertThat(Files.readString(dir.resolve("relay.log"))).contains("reply=\"250 2.0.0");
    }
  }

  @Test
  void whereAwsLcCannotLoadTheJdkSignsAndTheRelaySaysWhyUnlessAwsLcWasRequired() throws Exception {
    Path config = config(1, "");
    ExternalTool.Result keygen =
        jar(List.of(), "keygen", "example.com", "--keys", dir.resolve("keys").toString());
    assertThat(keygen.exit()).as(keygen.toString()).isZero();
    // ACCP copies its native library into this directory before loading it: a file is no place.
    Path notADirectory = Files.writeString(dir.resolve("not-a-directory"), "");
    String elsewhere = "-Dcom.amazon.corretto.crypto.provider.tmpdir=" + notADirectory;

    ExternalTool.Result auto =
        jar(
            List.of(elsewhere, "-Ddkimrelay.crypto-provider=auto"),
            "run",
            "--config",
            config.toString(),
            "--check-config");
    assertThat(auto.exit()).as(auto.toString()).isZero();
    assertThat(auto.out())
        .contains(
            "configuration and 1 key(s) are valid; signing with the JDK (SunRsaSign) for RSA,"
                + " Bouncy Castle for Ed25519 (AWS-LC (Amazon Corretto Crypto Provider) cannot"
                + " load here: Unable to create temporary directory");

    ExternalTool.Result required =
        jar(
            List.of(elsewhere, "-Ddkimrelay.crypto-provider=accp"),
            "run",
            "--config",
            config.toString(),
            "--check-config");
    assertThat(required.exit()).isEqualTo(2);
    assertThat(required.stderr())
        .startsWith("dkimrelay: AWS-LC (Amazon Corretto Crypto Provider) cannot load here: ")
        .contains("; use -Ddkimrelay.crypto-provider=jdk or auto");

    ExternalTool.Result unknown =
        jar(
            List.of("-Ddkimrelay.crypto-provider=openssl"),
            "run",
            "--config",
            config.toString(),
            "--check-config");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.stderr())
        .isEqualTo(
            "dkimrelay: -Ddkimrelay.crypto-provider=openssl is not one of auto, accp, jdk\n");
  }

  @Test
  void sigtermLetsTheTransactionInFlightFinish() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      RelayProcess relay =
          RelayProcess.start(
              dir.resolve("relay.log"),
              List.of("-Xmx128m"),
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
        relay.terminate(); // SIGTERM while the message is half sent

        relay.awaitOutput(
            "dkimrelay stopping: new connections get 421; transactions in flight have up to 30 s"
                + " to finish");
        try (SmtpTestClient late = SmtpTestClient.connect(relay.port())) {
          assertThat(late.reply()).startsWith("421 4.3.2 shutting down");
        }
        client.send("second half\r\n.\r\n");
        expect(client.reply(), "250");
      } finally {
        relay.close();
      }
      assertThat(upstream.transactions()).hasSize(1);
    }
  }

  @Test
  void runRefusesToStartWithoutKeysOrWithAKeyOthersCanRead() throws Exception {
    Path config = config(1, "");
    ExternalTool.Result noKeys = jar(List.of("-Xmx64m"), "run", "--config", config.toString());
    assertThat(noKeys.exit()).isEqualTo(2);
    assertThat(noKeys.stderr().strip()).startsWith("dkimrelay: no keys in ").contains("keygen");

    CliRun.in(dir, "keygen", "example.com", "--keys", dir.resolve("keys").toString());
    Path key =
        Files.list(dir.resolve("keys/example.com"))
            .filter(f -> f.toString().endsWith(".key"))
            .findFirst()
            .orElseThrow();
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    ExternalTool.Result unsafe = jar(List.of("-Xmx64m"), "run", "--config", config.toString());
    assertThat(unsafe.exit()).isEqualTo(2);
    assertThat(unsafe.stderr().strip().lines()).hasSize(1);
    assertThat(unsafe.stderr()).contains("run chmod 600 " + key);
  }

  @Test
  void aMilterOnlyRelaySaysHowItStopsWithoutPromising421() throws Exception {
    CliRun.in(dir, "keygen", "example.com", "--keys", dir.resolve("keys").toString());
    Path milterOnly =
        RelayConfigFile.write(
            dir.resolve("milter-only.toml"),
            1,
            dir.resolve("keys"),
            "enabled = false\n",
            "[milter]\naddress = \"inet:127.0.0.1:0\"\n");
    RelayProcess relay =
        RelayProcess.start(
            dir.resolve("milter.log"),
            List.of("-Xmx64m"),
            "run",
            "--config",
            milterOnly.toString());
    try {
      relay.terminate();
      relay.awaitOutput("dkimrelay stopping: messages in flight have up to 30 s to finish");
    } finally {
      relay.close();
    }
  }

  @Test
  void aMilterAddressThatCannotBeBoundSaysWhyAndWhatToDo() throws Exception {
    CliRun.in(dir, "keygen", "example.com", "--keys", dir.resolve("keys").toString());
    Path missing = dir.resolve("no-such-dir").resolve("milter.sock");
    Path unixConfig = config(1, "[milter]\naddress = \"unix:" + missing + "\"\n");
    ExternalTool.Result noDirectory =
        jar(List.of("-Xmx64m"), "run", "--config", unixConfig.toString());
    assertThat(noDirectory.exit()).isEqualTo(2);
    assertThat(noDirectory.stderr().strip())
        .isEqualTo(
            "dkimrelay: cannot listen on milter unix:"
                + missing
                + ": the directory "
                + missing.getParent()
                + " does not exist: create it, writable by the user dkimrelay runs as");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path inetConfig =
          config(1, "[milter]\naddress = \"inet:127.0.0.1:" + taken.getLocalPort() + "\"\n");
      ExternalTool.Result inUse = jar(List.of("-Xmx64m"), "run", "--config", inetConfig.toString());
      assertThat(inUse.exit()).isEqualTo(2);
      assertThat(inUse.stderr().strip().lines()).hasSize(1);
      assertThat(inUse.stderr())
          .contains(
              "the address is in use: is OpenDKIM, or another dkimrelay, still running on it?")
          .doesNotContain("Exception");
    }
  }

  @Test
  void bindFailuresOfAnUnprivilegedUserSayPermissionDeniedAndTheFix() throws Exception {
    assertThat(System.getProperty("user.name"))
        .as("this test runs the relay as 'nobody', which takes root")
        .isEqualTo("root");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    CliRun.in(dir, "keygen", "example.com", "--keys", dir.resolve("keys").toString());
    Path rootsOnly = Files.createDirectory(dir.resolve("root-only"));
    Path socket = rootsOnly.resolve("milter.sock");
    Path jar = RelayProcess.copyJar(dir);
    Path milterConfig =
        RelayConfigFile.write(
            dir.resolve("milter.toml"),
            1,
            dir.resolve("keys"),
            "",
            "[milter]\naddress = \"unix:" + socket + "\"\n");
    Path lowPortConfig = dir.resolve("low-port.toml");
    Files.writeString(
        lowPortConfig,
        Files.readString(RelayConfigFile.write(lowPortConfig, 1, dir.resolve("keys"), "", ""))
            .replace("address = \"127.0.0.1:0\"", "address = \"127.0.0.1:25\""));
    ExternalTool.chown("nobody", dir.resolve("keys"));

    ExternalTool.Result milter = asNobody(jar, "run", "--config", milterConfig);
    assertThat(milter.exit()).isEqualTo(2);
    assertThat(milter.stderr().strip())
        .isEqualTo(
            "dkimrelay: cannot listen on milter unix:"
                + socket
                + ": permission denied: the user nobody cannot create the socket in "
                + rootsOnly
                + ": chown nobody "
                + rootsOnly
                + ", or choose a directory it may write");

    ExternalTool.Result lowPort = asNobody(jar, "run", "--config", lowPortConfig);
    assertThat(lowPort.exit()).isEqualTo(2);
    assertThat(lowPort.stderr().strip())
        .isEqualTo(
            "dkimrelay: cannot listen on 127.0.0.1:25: permission denied: port 25 is below 1024,"
                + " which needs root or the CAP_NET_BIND_SERVICE capability"
                + " (AmbientCapabilities=CAP_NET_BIND_SERVICE in a systemd unit);"
                + " or choose a port above 1023");
  }

  private static ExternalTool.Result asNobody(
      Path jar, String command, String option, Path config) {
    List<String> line = new ArrayList<>(List.of("runuser", "-u", "nobody", "--"));
    line.addAll(RelayProcess.command(jar, List.of("-Xmx64m"), command, option, config.toString()));
    return ExternalTool.run(line);
  }

  @Test
  void printConfigShowsTheEffectiveConfiguration() throws Exception {
    Path config = config(2525, "unknown-domain = \"reject\"\n");
    ExternalTool.Result printed =
        jar(List.of("-Xmx64m"), "run", "--config", config.toString(), "--print-config");
    assertThat(printed.exit()).isZero();
    assertThat(printed.out())
        .contains("upstream.address = '127.0.0.1:2525'")
        .contains("signing.unknown-domain = 'reject'")
        .contains("listen.max-sessions = 64");
  }
}
