package org.dkimrelay.relay.rotation;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.dkimrelay.keys.KeyAlgorithm;

/**
 * The rules of rotation, as pure functions of the lifecycle entries, the time and what DNS shows: a
 * standby key becomes active only once its record has been seen published for {@code publishDelay}
 * (DNS caches), which retires the active key of the same algorithm; a retiring key is revoked after
 * {@code grace} (mail signed with it is still being verified until then); a revoked key's record
 * may go after another {@code grace}. With {@code every}, an active key older than that is due for
 * a successor.
 */
public record RotationPolicy(Optional<Duration> every, Duration publishDelay, Duration grace) {

  /** One change of state, for the log. */
  public record Event(String selector, KeyState from, KeyState to) {}

  /** The entries after a step, and what changed. */
  public record Step(Map<String, KeyLifecycle> entries, List<Event> events) {
    public boolean signingChanged() {
      return events.stream()
          .anyMatch(e -> e.to() == KeyState.ACTIVE || e.from() == KeyState.ACTIVE);
    }
  }

  /** Advances every key of one domain to where it should be at {@code now}. */
  public Step advance(
      Map<String, KeyLifecycle> before, Instant now, Function<String, Publication> publication) {
    Map<String, KeyLifecycle> entries = new TreeMap<>(before);
    List<Event> events = new ArrayList<>();
    for (Map.Entry<String, KeyLifecycle> standby : before.entrySet()) {
      if (standby.getValue().state() != KeyState.STANDBY) {
        continue;
      }
      String selector = standby.getKey();
      KeyLifecycle key = standby.getValue();
      switch (publication.apply(selector)) {
        case PUBLISHED -> {
          if (key.publishedSeen() == null) {
            key = key.seenPublished(now);
          }
          if (!now.isBefore(key.publishedSeen().plus(publishDelay))) {
            for (Map.Entry<String, KeyLifecycle> other : entries.entrySet()) {
              KeyLifecycle active = other.getValue();
              if (active.state() == KeyState.ACTIVE && active.algorithm().equals(key.algorithm())) {
                other.setValue(active.retired(now));
                events.add(new Event(other.getKey(), KeyState.ACTIVE, KeyState.RETIRING));
              }
            }
            key = key.activated(now);
            events.add(new Event(selector, KeyState.STANDBY, KeyState.ACTIVE));
          }
        }
        case NOT_PUBLISHED -> key = key.notSeenPublished();
        case UNKNOWN -> {} // a failed lookup changes nothing
      }
      entries.put(selector, key);
    }
    for (Map.Entry<String, KeyLifecycle> entry : entries.entrySet()) {
      KeyLifecycle key = entry.getValue();
      if (key.state() == KeyState.RETIRING && !now.isBefore(key.retiringSince().plus(grace))) {
        entry.setValue(key.revoked(now));
        events.add(new Event(entry.getKey(), KeyState.RETIRING, KeyState.REVOKED));
      } else if (key.state() == KeyState.REVOKED && !now.isBefore(key.revokedSince().plus(grace))) {
        entry.setValue(key.removed(now));
        events.add(new Event(entry.getKey(), KeyState.REVOKED, KeyState.REMOVED));
      }
    }
    return new Step(entries, events);
  }

  /** The algorithms whose active key is older than {@code every} and has no successor waiting. */
  public Set<KeyAlgorithm> dueForRotation(Map<String, KeyLifecycle> entries, Instant now) {
    Set<KeyAlgorithm> due = EnumSet.noneOf(KeyAlgorithm.class);
    if (every.isEmpty()) {
      return due;
    }
    for (KeyLifecycle key : entries.values()) {
      if (key.state() == KeyState.ACTIVE && !now.isBefore(key.activeSince().plus(every.get()))) {
        due.add(key.keyAlgorithm());
      }
    }
    for (KeyLifecycle key : entries.values()) {
      if (key.state() == KeyState.STANDBY) {
        due.remove(key.keyAlgorithm());
      }
    }
    return due;
  }

  /**
   * What happens next to {@code key} of {@code domain}, and when, in words for {@code keys list}.
   */
  public String nextAction(String domain, KeyLifecycle key) {
    return switch (key.state()) {
      case STANDBY ->
          key.publishedSeen() == null
              ? "publish its TXT record; the relay switches to it once DNS shows it"
              : "record seen; the relay switches to it at "
                  + at(key.publishedSeen().plus(publishDelay));
      case ACTIVE ->
          every
              .map(period -> "rotation due " + at(key.activeSince().plus(period)))
              .orElse("signing; 'rotate " + domain + "' starts its successor");
      case RETIRING ->
          "keep its TXT record published; revoked at " + at(key.retiringSince().plus(grace));
      case REVOKED ->
          "publish the revoked record (empty p=); it may be deleted after "
              + at(key.revokedSince().plus(grace));
      case REMOVED -> "delete its TXT record";
    };
  }

  /** A moment for people: ISO 8601 in UTC to the second ({@code 2026-12-09T01:25:22Z}). */
  public static String at(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
