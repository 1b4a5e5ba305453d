package org.dkimrelay.relay.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyRotationTest {
  private static final Instant T = Instant.parse("2026-12-05T10:00:00Z");

  @TempDir Path dir;

  @Test
  void aStandbyKeyIsPrintedInFullOnlyUntilDnsHasShownItsRecord() {
    KeyDirectory keys = new KeyDirectory(dir);
    DkimKeyGenerator generator = new DkimKeyGenerator(new SecureRandom());
    SigningDomain domain = SigningDomain.parse("example.com");
    for (String selector : List.of("s1", "s2")) {
      DkimKey key = generator.generate(domain, Selector.parse(selector), KeyAlgorithm.ED25519, 0);
      keys.store(key, key.txtRecord(3600));
    }
    LifecycleFile.update(
        dir.resolve("example.com"),
        entries -> {
          entries.put("s1", KeyLifecycle.standby(KeyAlgorithm.ED25519, T));
          entries.put("s2", KeyLifecycle.standby(KeyAlgorithm.ED25519, T).seenPublished(T));
          return entries;
        });
    KeyRotation rotation =
        new KeyRotation(
            keys,
            new RotationPolicy(Optional.empty(), Duration.ofHours(1), Duration.ofDays(7)),
            Clock.fixed(T, ZoneOffset.UTC));

    assertThat(rotation.waiting())
        .containsExactlyInAnyOrder(
            new KeyRotation.Waiting(
                "example.com",
                keys.load(domain, Selector.parse("s1")).txtRecord(3600).zoneLine()
                    + "  ; standby: publish its TXT record; the relay switches to it once DNS"
                    + " shows it",
                true),
            new KeyRotation.Waiting(
                "example.com",
                "s2._domainkey.example.com: standby, record seen; the relay switches to it at"
                    + " 2026-12-05T11:00:00Z",
                false));
  }
}
