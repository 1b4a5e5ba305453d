package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * conf/opensmtpd/smtpd.conf (the chain) and filter.conf (the filter) checked by OpenSMTPD itself
 * (smtpd -n), extracted by scripts/test.
 */
class OpenSmtpdConfigIT {
  private static final Path SNIPPET = Path.of("..", "conf", "opensmtpd", "smtpd.conf");

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

  @Test
  void theShippedFilterSnippetIsAValidConfiguration() {
    Path filter = Path.of("..", "conf", "opensmtpd", "filter.conf").toAbsolutePath();
    ExternalTool.Result check = ExternalTool.run(List.of(smtpd(), "-n", "-f", filter.toString()));
    assertThat(check.exit()).as(check.toString()).isZero();
    assertThat(check.out() + check.stderr()).contains("configuration OK");
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
