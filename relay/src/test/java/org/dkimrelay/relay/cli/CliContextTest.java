package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The command that messages tell the admin to run is the one that runs dkimrelay here. */
class CliContextTest {
  private final CliContext context =
      new CliContext(
          Clock.systemUTC(),
          new SecureRandom(),
          Path.of("/opt/dkimrelay"),
          new ByteArrayInputStream(new byte[0]),
          new ByteArrayOutputStream());

  @AfterEach
  void clear() {
    System.clearProperty("dkimrelay.home");
    System.clearProperty("dkimrelay.config");
  }

  @Test
  void aCheckoutsLauncherIsNamedByItsPathAndAnInstalledCommandByItsName() {
    System.setProperty("dkimrelay.home", "/opt/dkimrelay"); // as scripts/dkimrelay sets it
    assertThat(context.command()).isEqualTo("/opt/dkimrelay/scripts/dkimrelay");
    System.setProperty(
        "dkimrelay.config", "/etc/dkimrelay/dkimrelay.toml"); // the installed wrapper
    assertThat(context.command()).isEqualTo("dkimrelay");
  }
}
