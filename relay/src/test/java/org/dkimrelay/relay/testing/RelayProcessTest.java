package org.dkimrelay.relay.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard that keeps relays under test off the system resolver. */
class RelayProcessTest {
  @TempDir Path dir;

  @Test
  void aRelayConfiguredWithTheSystemResolverIsNotStarted() throws Exception {
    Path system = Files.writeString(dir.resolve("system.toml"), "[signing]\nkeys = \"k\"\n");
    assertThatThrownBy(
            () ->
                RelayProcess.start(
                    dir.resolve("log"), List.of(), "run", "--config", system.toString()))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("dns.resolver = \"system\" in a relay under test");
    assertThatThrownBy(() -> RelayProcess.refuseTheSystemResolver("run", "--domain", "example.com"))
        .hasMessageContaining("needs --config");
    assertThat(dir.resolve("log")).doesNotExist(); // refused before anything was started

    Path loopback =
        RelayConfigFile.write(dir.resolve("loopback.toml"), 25, dir.resolve("k"), "", "");
    assertThatCode(
            () -> RelayProcess.refuseTheSystemResolver("run", "--config", loopback.toString()))
        .doesNotThrowAnyException();
  }
}
