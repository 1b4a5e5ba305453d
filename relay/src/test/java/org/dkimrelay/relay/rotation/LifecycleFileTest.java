package org.dkimrelay.relay.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.dkimrelay.keys.KeyAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LifecycleFileTest {
  @TempDir Path dir;

  @Test
  void entriesSurviveAWriteAndReadAsPeopleCanReadThem() throws Exception {
    Instant t = Instant.parse("2026-11-01T10:00:00Z");
    Map<String, KeyLifecycle> written =
        LifecycleFile.update(
            dir,
            entries -> {
              entries.put(
                  "202611r", KeyLifecycle.active(KeyAlgorithm.RSA, t).retired(t.plusSeconds(60)));
              entries.put("202612r", KeyLifecycle.standby(KeyAlgorithm.RSA, t.plusSeconds(30)));
              return entries;
            });
    assertThat(LifecycleFile.read(dir)).isEqualTo(written);
    String text = Files.readString(dir.resolve(LifecycleFile.NAME));
    assertThat(text)
        .startsWith("# Key lifecycle for this domain")
        .contains("202611r.state = 'retiring'")
        .contains("202611r.retiring-since = '2026-11-01T10:01:00Z'")
        .contains("202612r.state = 'standby'")
        .doesNotContain("revoked-since");
  }

  @Test
  void noFileMeansNoEntriesAndABrokenFileSaysWhichFile() throws Exception {
    assertThat(LifecycleFile.read(dir)).isEmpty();
    Files.writeString(dir.resolve(LifecycleFile.NAME), "[202611r]\nstate = 'lost'\n");
    assertThatThrownBy(() -> LifecycleFile.read(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(dir.resolve(LifecycleFile.NAME).toString());
  }
}
