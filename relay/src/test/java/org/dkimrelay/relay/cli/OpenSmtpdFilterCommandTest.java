package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code opensmtpd-filter} as smtpd runs it: protocol on stdout only, or no start at all. */
class OpenSmtpdFilterCommandTest {
  @TempDir Path home;

  @Test
  void withoutKeysItRefusesToStartSoSmtpdCannotRunUnsigned() {
    CliRun run =
        CliRun.withInput(
            home,
            "config|ready\n".getBytes(StandardCharsets.US_ASCII),
            "opensmtpd-filter",
            "--keys",
            home.resolve("empty").toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("no keys in");
    assertThat(run.bytes()).isEmpty(); // nothing on stdout: smtpd would take it for protocol
  }

  @Test
  void withKeysItAnswersTheHandshakeAndWritesNothingElseToStdout() throws Exception {
    // it asks DNS which keys are published: a resolver on 127.0.0.1, never the system's
    Path config =
        Files.writeString(
            home.resolve("filter.toml"),
            "[signing]\nkeys = \"" + home.resolve("keys") + "\"\n" + RelayConfigFile.noResolver());
    CliRun.in(
        home,
        "keygen",
        "example.com",
        "--selector",
        "s1",
        "--keys",
        home.resolve("keys").toString());
    CliRun run =
        CliRun.withInput(
            home,
            "config|smtpd-version|6.8.0p2\nconfig|ready\n".getBytes(StandardCharsets.US_ASCII),
            "opensmtpd-filter",
            "--config",
            config.toString());
    assertThat(run.exit()).as(run.err()).isZero(); // end of input: smtpd stopped
    assertThat(new String(run.bytes(), StandardCharsets.US_ASCII).lines())
        .containsExactly(
            "register|filter|smtp-in|data-line",
            "register|filter|smtp-in|commit",
            "register|report|smtp-in|link-auth",
            "register|report|smtp-in|link-disconnect",
            "register|ready");
  }
}
