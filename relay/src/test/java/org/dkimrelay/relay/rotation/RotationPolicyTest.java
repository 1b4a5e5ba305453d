package org.dkimrelay.relay.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.relay.rotation.RotationPolicy.Event;
import org.junit.jupiter.api.Test;

/** The rotation rules against an injected clock (instants passed in) and scripted DNS answers. */
class RotationPolicyTest {
  private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
  private static final Duration HOUR = Duration.ofHours(1);
  private static final Duration WEEK = Duration.ofDays(7);
  private final RotationPolicy policy = new RotationPolicy(Optional.empty(), HOUR, WEEK);

  private static Map<String, KeyLifecycle> activeAndStandby() {
    Map<String, KeyLifecycle> entries = new TreeMap<>();
    entries.put("old", KeyLifecycle.active(KeyAlgorithm.RSA, T0));
    entries.put("olded", KeyLifecycle.active(KeyAlgorithm.ED25519, T0));
    entries.put("new", KeyLifecycle.standby(KeyAlgorithm.RSA, T0.plus(HOUR)));
    return entries;
  }

  @Test
  void aStandbyKeyIsNotUsedUntilItsRecordIsSeen() {
    RotationPolicy.Step step =
        policy.advance(activeAndStandby(), T0.plus(WEEK), s -> Publication.NOT_PUBLISHED);
    assertThat(step.events()).isEmpty();
    assertThat(step.entries().get("new").state()).isEqualTo(KeyState.STANDBY);
    assertThat(step.entries().get("old").state()).isEqualTo(KeyState.ACTIVE);
  }

  @Test
  void theSwitchWaitsThePublishDelayAfterTheRecordIsFirstSeenAndRetiresOnlyItsAlgorithm() {
    Instant seen = T0.plus(Duration.ofDays(1));
    RotationPolicy.Step first =
        policy.advance(activeAndStandby(), seen, s -> Publication.PUBLISHED);
    assertThat(first.events()).isEmpty();
    assertThat(first.entries().get("new").publishedSeen()).isEqualTo(seen);

    RotationPolicy.Step early =
        policy.advance(
            first.entries(), seen.plus(Duration.ofMinutes(59)), s -> Publication.PUBLISHED);
    assertThat(early.events()).isEmpty();

    Instant switchTime = seen.plus(HOUR);
    RotationPolicy.Step switched =
        policy.advance(first.entries(), switchTime, s -> Publication.PUBLISHED);
    assertThat(switched.events())
        .containsExactlyInAnyOrder(
            new Event("old", KeyState.ACTIVE, KeyState.RETIRING),
            new Event("new", KeyState.STANDBY, KeyState.ACTIVE));
    assertThat(switched.signingChanged()).isTrue();
    assertThat(switched.entries().get("new").activeSince()).isEqualTo(switchTime);
    assertThat(switched.entries().get("old").retiringSince()).isEqualTo(switchTime);
    assertThat(switched.entries().get("olded").state()).isEqualTo(KeyState.ACTIVE);
  }

  @Test
  void aFailedLookupChangesNothingAndARecordThatDisappearsStartsTheWaitAgain() {
    Instant seen = T0.plus(Duration.ofDays(1));
    Map<String, KeyLifecycle> afterSeen =
        policy.advance(activeAndStandby(), seen, s -> Publication.PUBLISHED).entries();
    RotationPolicy.Step unknown =
        policy.advance(afterSeen, seen.plus(WEEK), s -> Publication.UNKNOWN);
    assertThat(unknown.events()).isEmpty();
    assertThat(unknown.entries()).isEqualTo(afterSeen);

    RotationPolicy.Step gone =
        policy.advance(
            afterSeen, seen.plus(Duration.ofMinutes(30)), s -> Publication.NOT_PUBLISHED);
    assertThat(gone.entries().get("new").publishedSeen()).isNull();
  }

  @Test
  void aRetiringKeyIsRevokedAfterTheGraceAndRemovedAfterAnother() {
    Map<String, KeyLifecycle> entries = new TreeMap<>();
    Instant retired = T0.plus(Duration.ofDays(30));
    entries.put("old", KeyLifecycle.active(KeyAlgorithm.RSA, T0).retired(retired));
    assertThat(
            policy
                .advance(entries, retired.plus(WEEK).minusSeconds(1), s -> Publication.PUBLISHED)
                .events())
        .isEmpty();
    RotationPolicy.Step revoked =
        policy.advance(entries, retired.plus(WEEK), s -> Publication.PUBLISHED);
    assertThat(revoked.events())
        .containsExactly(new Event("old", KeyState.RETIRING, KeyState.REVOKED));
    assertThat(revoked.signingChanged()).isFalse(); // it was not signing any more
    RotationPolicy.Step removed =
        policy.advance(
            revoked.entries(), retired.plus(WEEK).plus(WEEK), s -> Publication.PUBLISHED);
    assertThat(removed.events())
        .containsExactly(new Event("old", KeyState.REVOKED, KeyState.REMOVED));
  }

  @Test
  void anActiveKeyOlderThanEveryIsDueUnlessASuccessorWaits() {
    RotationPolicy every180 = new RotationPolicy(Optional.of(Duration.ofDays(180)), HOUR, WEEK);
    Map<String, KeyLifecycle> entries = new TreeMap<>();
    entries.put("old", KeyLifecycle.active(KeyAlgorithm.RSA, T0));
    entries.put("olded", KeyLifecycle.active(KeyAlgorithm.ED25519, T0.plus(Duration.ofDays(100))));
    assertThat(every180.dueForRotation(entries, T0.plus(Duration.ofDays(179)))).isEmpty();
    assertThat(every180.dueForRotation(entries, T0.plus(Duration.ofDays(180))))
        .containsExactly(KeyAlgorithm.RSA);
    entries.put("new", KeyLifecycle.standby(KeyAlgorithm.RSA, T0.plus(Duration.ofDays(180))));
    assertThat(every180.dueForRotation(entries, T0.plus(Duration.ofDays(200)))).isEmpty();
    assertThat(policy.dueForRotation(entries, T0.plus(Duration.ofDays(3650)))).isEmpty();
  }

  @Test
  void theNextActionSaysWhatAndWhen() {
    KeyLifecycle retiring =
        KeyLifecycle.active(KeyAlgorithm.RSA, T0).retired(T0.plus(Duration.ofDays(1)));
    assertThat(policy.nextAction("example.com", retiring))
        .isEqualTo("keep its TXT record published; revoked at 2026-11-09T00:00:00Z");
    assertThat(policy.nextAction("example.com", KeyLifecycle.standby(KeyAlgorithm.RSA, T0)))
        .startsWith("publish its TXT record");
    assertThat(policy.nextAction("example.com", retiring.revoked(T0.plus(Duration.ofDays(8)))))
        .isEqualTo(
            "publish the revoked record (empty p=); it may be deleted after 2026-11-16T00:00:00Z");
  }
}
