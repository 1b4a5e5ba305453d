package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * conf/opensmtpd/smtpd.conf (the chain) and filter.conf (the filter) checked by OpenSMTPD itself
 * (smtpd -n), extracted by scripts/test; scripts/opensmtpd-check on what smtpd -n lets through.
 */
class OpenSmtpdConfigIT {
  private static final Path SNIPPET = Path.of("..", "conf", "opensmtpd", "smtpd.conf");
  private static final Path FILTER = Path.of("..", "conf", "opensmtpd", "filter.conf");
  private static final Path CHECK = Path.of("..", "scripts", "opensmtpd-check").toAbsolutePath();
  private static final String SHIPPED_COMMAND =
      "/usr/local/bin/dkimrelay opensmtpd-filter --config /etc/dkimrelay/dkimrelay.toml";

  private static String smtpd() {
    String path = System.getenv("DKIMRELAY_OPENSMTPD");
    if (path == null || !Files.isExecutable(Path.of(path))) {
      throw new AssertionError(
          "OpenSMTPD's smtpd is not extracted: run scripts/test, which extracts it");
    }
    return path;
  }

  @Test
  void theShippedSnippetIsAValidConfiguration() {
    ExternalTool.Result check =
        ExternalTool.run(List.of(smtpd(), "-n", "-f", SNIPPET.toAbsolutePath().toString()));
    assertThat(check.exit()).as(check.toString()).isZero();
    assertThat(check.out() + check.stderr()).contains("configuration OK");
  }

  /**
   * conf/opensmtpd/filter.conf with its aliases table in {@code dir} (a fresh machine without
   * OpenSMTPD has no /etc/aliases) and, when given, the filter's command and user replaced.
   */
  private static Path filterConf(Path dir, String command, String user) throws IOException {
    Files.writeString(dir.resolve("aliases"), "postmaster: root\n");
    String conf =
        Files.readString(FILTER)
            .replace("file:/etc/aliases", "file:" + dir.resolve("aliases"))
            .replace(SHIPPED_COMMAND, command)
            .replace("user dkimrelay group dkimrelay", user);
    return Files.writeString(dir.resolve("smtpd.conf"), conf);
  }

  private static ExternalTool.Result check(Path conf) {
    return ExternalTool.run(List.of(CHECK.toString(), "--smtpd", smtpd(), conf.toString()));
  }

  @Test
  void theShippedFilterSnippetIsAValidConfiguration(@TempDir Path dir) throws Exception {
    Path filter = filterConf(dir, SHIPPED_COMMAND, "user dkimrelay group dkimrelay");
    ExternalTool.Result check = ExternalTool.run(List.of(smtpd(), "-n", "-f", filter.toString()));
    assertThat(check.exit()).as(check.toString()).isZero();
    assertThat(check.out() + check.stderr()).contains("configuration OK");
    // one line per listener of Debian's stock file, with the filter; none declared twice
    assertThat(Files.readString(filter).lines().filter(line -> line.startsWith("listen on")))
        .containsExactly(
            "listen on localhost filter \"dkimrelay\"",
            "listen on socket filter \"dkimrelay\"",
            "listen on localhost port submission filter \"dkimrelay\"");
  }

  @Test
  void theCheckNamesWhatSmtpdMinusNLetsThrough() throws Exception {
    Path dir = OpenSmtpdInstance.directory(); // smtpd's user must reach the jar and the keys
    try {
      Path keys = dir.resolve("keys");
      RelayProcess.keygen(keys, "example.com", "r1", "rsa");
      Path relayConfig =
          Files.writeString(
              dir.resolve("dkimrelay.toml"),
              "[signing]\nkeys = \"" + keys + "\"\n" + RelayConfigFile.noResolver());
      String command =
          String.join(
              " ",
              RelayProcess.command(
                  RelayProcess.copyJar(dir),
                  List.of(),
                  "opensmtpd-filter",
                  "--config",
                  relayConfig.toString()));

      ExternalTool.Result noUser = check(filterConf(dir, command, "user dkimrelay-nosuchuser"));
      assertThat(noUser.exit()).isEqualTo(1);
      assertThat(noUser.out())
          .contains("ok: smtpd -n: ")
          .contains(
              "missing: the user dkimrelay-nosuchuser of filter \"dkimrelay\" does not exist;"
                  + " create it with: useradd --system --home-dir /etc/dkimrelay"
                  + " --shell /usr/sbin/nologin dkimrelay-nosuchuser");

      ExternalTool.Result rootsKeys = check(filterConf(dir, command, "user opensmtpd"));
      assertThat(rootsKeys.exit()).isEqualTo(1);
      assertThat(rootsKeys.out())
          .contains(
              "missing: filter \"dkimrelay\" cannot start as opensmtpd: cannot read the keys"
                  + " directory "
                  + keys
                  + ": permission denied for the user opensmtpd, who runs dkimrelay:"
                  + " run chown -R opensmtpd "
                  + keys);

      ExternalTool.chown("opensmtpd", keys);
      ExternalTool.Result ok = check(filterConf(dir, command, "user opensmtpd"));
      assertThat(ok.exit()).as(ok.toString()).isZero();
      assertThat(ok.out())
          .contains("configuration and 1 key(s) are valid for the user opensmtpd")
          .endsWith("OpenSMTPD runs the dkimrelay filter (" + dir.resolve("smtpd.conf") + ").\n");

      Path unused = dir.resolve("unused.conf");
      Files.writeString(
          unused, Files.readString(dir.resolve("smtpd.conf")).replace(" filter \"dkimrelay\"", ""));
      assertThat(check(unused).out()).contains("missing: no listener uses filter \"dkimrelay\"");
    } finally {
      OpenSmtpdInstance.delete(dir);
    }
  }

  @Test
  void theCheckerRejectsABrokenConfiguration(@TempDir Path dir) throws Exception {
    Path broken =
        Files.writeString(
            dir.resolve("smtpd.conf"),
            Files.readString(SNIPPET).replace("relay host smtp://", "relay hots smtp://"));
    ExternalTool.Result check = ExternalTool.run(List.of(smtpd(), "-n", "-f", broken.toString()));
    assertThat(check.exit()).isNotZero();
  }
}
