package org.dkimrelay.relay.rotation;

import java.time.Instant;
import java.util.Optional;
import org.dkimrelay.keys.KeyAlgorithm;

/**
 * One key's entry in its domain's lifecycle file: its state and when it entered each one. {@code
 * publishedSeen} is when the DNS check first saw a standby key's record.
 */
public record KeyLifecycle(
    KeyState state,
    String algorithm,
    Instant created,
    Instant publishedSeen,
    Instant activeSince,
    Instant retiringSince,
    Instant revokedSince,
    Instant removedSince) {

  public static KeyLifecycle standby(KeyAlgorithm algorithm, Instant now) {
    return new KeyLifecycle(
        KeyState.STANDBY, algorithm.keyType(), now, null, null, null, null, null);
  }

  /** A key that signed before rotation knew it. */
  public static KeyLifecycle active(KeyAlgorithm algorithm, Instant since) {
    return new KeyLifecycle(
        KeyState.ACTIVE, algorithm.keyType(), since, null, since, null, null, null);
  }

  public KeyAlgorithm keyAlgorithm() {
    return KeyAlgorithm.parse(algorithm);
  }

  KeyLifecycle seenPublished(Instant now) {
    return new KeyLifecycle(
        state, algorithm, created, now, activeSince, retiringSince, revokedSince, removedSince);
  }

  KeyLifecycle notSeenPublished() {
    return new KeyLifecycle(
        state, algorithm, created, null, activeSince, retiringSince, revokedSince, removedSince);
  }

  public KeyLifecycle activated(Instant now) {
    return new KeyLifecycle(
        KeyState.ACTIVE, algorithm, created, publishedSeen, now, null, null, null);
  }

  public KeyLifecycle retired(Instant now) {
    return new KeyLifecycle(
        KeyState.RETIRING, algorithm, created, publishedSeen, activeSince, now, null, null);
  }

  public KeyLifecycle revoked(Instant now) {
    return new KeyLifecycle(
        KeyState.REVOKED, algorithm, created, publishedSeen, activeSince, retiringSince, now, null);
  }

  KeyLifecycle removed(Instant now) {
    return new KeyLifecycle(
        KeyState.REMOVED,
        algorithm,
        created,
        publishedSeen,
        activeSince,
        retiringSince,
        revokedSince,
        now);
  }

  /** When the key entered its current state. */
  public Instant since() {
    return Optional.ofNullable(
            switch (state) {
              case STANDBY -> created;
              case ACTIVE -> activeSince;
              case RETIRING -> retiringSince;
              case REVOKED -> revokedSince;
              case REMOVED -> removedSince;
            })
        .orElse(created);
  }
}
