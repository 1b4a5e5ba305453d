package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RelayProcess;
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

  /**
   * The unit as shipped, on a Postfix host: systemd accepts it and its Postfix drop-in, and its
   * command line, run as the unit's user with the unit's groups after the unit's ExecStartPre,
   * creates the recommended milter socket in Postfix's queue directory, group postfix. Without the
   * postfix group the relay says so and leaves no socket behind.
   */
  @Test
  void theUnitStartsTheMilterOnItsUnixSocketAsItsUserInPostfixsQueueDirectory(@TempDir Path root)
      throws Exception {
    assertThat(System.getProperty("user.name"))
        .as("runs the unit's commands as root")
        .isEqualTo("root");
    Path prefix = root.resolve("usr");
    Path etc = root.resolve("etc/dkimrelay");
    assertThat(
            ExternalTool.run(
                    List.of(INSTALL, "--prefix", prefix.toString(), "--etc", etc.toString()))
                .exit())
        .isZero();
    Path unit = prefix.resolve("lib/systemd/system/dkimrelay.service");
    Path dropIn = prefix.resolve("lib/systemd/system/dkimrelay.service.d/postfix.conf");
    assertThat(dropIn).as("installed where a postfix group exists").isRegularFile();
    ExternalTool.Result verify =
        ExternalTool.run(List.of("systemd-analyze", "verify", unit.toString()));
    assertThat(verify.exit()).as(verify.toString()).isZero();
    Path merged = root.resolve("merged/dkimrelay.service");
    Files.createDirectories(merged.getParent());
    Files.writeString(
        merged,
        Files.readString(unit)
            + Files.readString(dropIn)
                .lines()
                .filter(l -> !l.equals("[Service]"))
                .map(l -> l + "\n")
                .reduce("", String::concat));
    ExternalTool.Result verifyMerged =
        ExternalTool.run(List.of("systemd-analyze", "verify", merged.toString()));
    assertThat(verifyMerged.exit()).as(verifyMerged.toString()).isZero();

    boolean created = ExternalTool.run(List.of("id", "dkimrelay")).exit() != 0;
    if (created) {
      assertThat(
              ExternalTool.run(
                      List.of(
                          "useradd",
                          "--system",
                          "--home-dir",
                          etc.toString(),
                          "--shell",
                          "/usr/sbin/nologin",
                          "dkimrelay"))
                  .exit())
          .isZero();
    }
    Path socketDirectory = Path.of("/var/spool/postfix/dkimrelay");
    try {
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
      ExternalTool.chown("dkimrelay", etc.resolve("keys"));
      ExternalTool.Result keygen =
          ExternalTool.run(
              List.of(
                  "runuser",
                  "-u",
                  "dkimrelay",
                  "--",
                  prefix.resolve("bin/dkimrelay").toString(),
                  "keygen",
                  "example.com"));
      assertThat(keygen.exit()).as(keygen.toString()).isZero();
      Files.writeString(
          etc.resolve("dkimrelay.toml"),
          Files.readString(etc.resolve("dkimrelay.toml"))
                  .replace(
                      "[dns]\nresolver = \"system\"",
                      "[dns]\nresolver = \"127.0.0.1:"
                          + org.dkimrelay.relay.testing.Dnsmasq.freeUdpPort()
                          + "\"")
              + "");
      String config = Files.readString(etc.resolve("dkimrelay.toml"));
      assertThat(config).contains("resolver = \"127.0.0.1:");
      Files.writeString(
          etc.resolve("dkimrelay.toml"),
          config
              .replaceFirst("(\\[listen]\n)enabled = true[^\n]*", "$1enabled = false")
              .replaceFirst(
                  "(?m)^\\[milter\\]$",
                  "[milter]\naddress = \"unix:"
                      + socketDirectory
                      + "/milter.sock\"\nsocket-group = \"postfix\""));

      String startPre =
          Files.readString(dropIn)
              .lines()
              .filter(l -> l.startsWith("ExecStartPre=+"))
              .findFirst()
              .orElseThrow()
              .substring("ExecStartPre=+".length());
      ExternalTool.Result made = ExternalTool.run(List.of("sh", "-c", startPre));
      assertThat(made.exit()).as(made.toString()).isZero();
      String execStart =
          Files.readString(unit)
              .lines()
              .filter(l -> l.startsWith("ExecStart="))
              .findFirst()
              .orElseThrow()
              .substring("ExecStart=".length());

      // without the unit's SupplementaryGroups=postfix: a clear refusal, nothing left behind
      ExternalTool.Result withoutGroup =
          ExternalTool.run(
              concat(
                  List.of(
                      "runuser", "-u", "dkimrelay", "--", "env", "DKIMRELAY_JAVA_OPTS=-Xmx128m"),
                  execStart));
      assertThat(withoutGroup.exit()).isEqualTo(2);
      assertThat(withoutGroup.stderr().strip())
          .isEqualTo(
              "dkimrelay: cannot listen on milter unix:"
                  + socketDirectory
                  + "/milter.sock: socket-group: the user dkimrelay may not give the socket to the"
                  + " group postfix, not being in it: add it (usermod -aG postfix dkimrelay, or"
                  + " SupplementaryGroups=postfix in the systemd unit)");
      assertThat(socketDirectory.resolve("milter.sock")).doesNotExist();

      RelayProcess relay =
          RelayProcess.startCommand(
              concat(
                  List.of(
                      "runuser",
                      "-u",
                      "dkimrelay",
                      "-G",
                      "postfix",
                      "--",
                      "env",
                      "DKIMRELAY_JAVA_OPTS=-Xmx128m"),
                  execStart),
              root.resolve("relay.log"));
      try {
        assertThat(relay.output())
            .anyMatch(
                line ->
                    line.startsWith(
                        "dkimrelay milter listening on unix:" + socketDirectory + "/milter.sock"));
        Path socket = socketDirectory.resolve("milter.sock");
        assertThat(Files.readAttributes(socket, PosixFileAttributes.class).group().getName())
            .isEqualTo("postfix");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
            .isEqualTo("rw-rw----");
        assertThat(Files.getOwner(socketDirectory).getName()).isEqualTo("dkimrelay");
      } finally {
        relay.close();
      }
    } finally {
      ExternalTool.run(List.of("rm", "-rf", socketDirectory.toString()));
      if (created) {
        ExternalTool.run(List.of("userdel", "dkimrelay"));
      }
    }
  }

  private static List<String> concat(List<String> prefix, String commandLine) {
    List<String> all = new java.util.ArrayList<>(prefix);
    all.addAll(List.of(commandLine.split(" ")));
    return all;
  }
}
