package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/install into a temporary prefix, and the installed command used as an admin would. */
class InstallIT {
  private static final String INSTALL =
      Path.of("..", "scripts", "install").toAbsolutePath().toString();

  @Test
  void installsCommandConfigKeysDirectoryAndUnit(@TempDir Path root) throws Exception {
    Path prefix = root.resolve("usr");
    Path etc = root.resolve("etc/dkimrelay");
    ExternalTool.Result install =
        ExternalTool.run(List.of(INSTALL, "--prefix", prefix.toString(), "--etc", etc.toString()));
    assertThat(install.exit()).as(install.toString()).isZero();

    assertThat(prefix.resolve("lib/dkimrelay/dkimrelay.jar")).isRegularFile();
    assertThat(prefix.resolve("share/man/man8/dkimrelay.8")).isRegularFile();
    assertThat(prefix.resolve("share/man/man8/dkimrelay-run.8")).isRegularFile();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(etc.resolve("keys"))))
        .isEqualTo("rwx------");
    assertThat(Files.readString(etc.resolve("dkimrelay.toml")))
        .contains("keys = \"keys\"")
        .contains("require-published = true");

    String unit = Files.readString(prefix.resolve("lib/systemd/system/dkimrelay.service"));
    assertThat(unit)
        .contains("ExecStart=" + prefix.resolve("bin/dkimrelay") + " run")
        .contains("ReadOnlyPaths=" + etc)
        .contains("ReadWritePaths=" + etc.resolve("keys"))
        .contains("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "User=dkimrelay")
        .contains("ExecReload=/bin/kill -HUP $MAINPID")
        .contains("Environment=DKIMRELAY_JAVA_OPTS=-Xmx512m", "Restart=on-failure");
    // an OutOfMemoryError ends the process, which Restart= then brings back
    assertThat(Files.readString(prefix.resolve("bin/dkimrelay")))
        .contains("${DKIMRELAY_JAVA_OPTS:--Xmx512m} -XX:+ExitOnOutOfMemoryError");

    String command = prefix.resolve("bin/dkimrelay").toString();
    ExternalTool.Result keygen =
        ExternalTool.run(List.of(command, "keygen", "example.com", "--algorithm", "ed25519"));
    assertThat(keygen.exit()).as(keygen.toString()).isZero();
    assertThat(
            Files.list(etc.resolve("keys/example.com")).filter(f -> f.toString().endsWith(".key")))
        .hasSize(1);
    ExternalTool.Result check = ExternalTool.run(List.of(command, "run", "--check-config"));
    assertThat(check.exit()).as(check.toString()).isZero();
    assertThat(check.out()).contains("1 key(s) are valid");

    // a second install keeps the admin's configuration
    Files.writeString(
        etc.resolve("dkimrelay.toml"), "# mine\n", java.nio.file.StandardOpenOption.APPEND);
    assertThat(
            ExternalTool.run(
                    List.of(INSTALL, "--prefix", prefix.toString(), "--etc", etc.toString()))
                .exit())
        .isZero();
    assertThat(Files.readString(etc.resolve("dkimrelay.toml"))).endsWith("# mine\n");
    assertThat(etc.resolve("dkimrelay.toml.new")).isRegularFile();
  }
}
