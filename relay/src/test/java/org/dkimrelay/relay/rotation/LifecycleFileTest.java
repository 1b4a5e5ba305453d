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

  @Test
  void whatRunsAfterTheWriteSeesTheNewEntryAndAFailurePutsTheFileBack() throws Exception {
    Instant now = Instant.parse("2026-12-02T10:00:00Z");
    LifecycleFile.update(dir, entries -> Map.of("r1", KeyLifecycle.active(KeyAlgorithm.RSA, now)));
    Map<String, KeyLifecycle> seen = new java.util.TreeMap<>();
    LifecycleFile.update(
        dir,
        entries -> {
          entries.put("r2", KeyLifecycle.standby(KeyAlgorithm.RSA, now));
          return entries;
        },
        () -> seen.putAll(LifecycleFile.read(dir))); // where a new key file would be written
    assertThat(seen).containsKeys("r1", "r2");

    assertThatThrownBy(
            () ->
                LifecycleFile.update(
                    dir,
                    entries -> {
                      entries.put("r3", KeyLifecycle.standby(KeyAlgorithm.RSA, now));
                      return entries;
                    },
                    () -> {
                      throw new IllegalStateException("disk full");
                    }))
        .hasMessage("disk full");
    assertThat(LifecycleFile.read(dir)).containsOnlyKeys("r1", "r2");
  }
}
