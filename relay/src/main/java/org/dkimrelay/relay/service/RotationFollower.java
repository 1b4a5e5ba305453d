package org.dkimrelay.relay.service;

import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.Supplier;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.rotation.KeyPublication;
import org.dkimrelay.relay.rotation.KeyRotation;

/**
 * The running relay's side of key rotation: one step at start and every {@code dns.recheck}. An
 * instance that does not own rotation ({@code [rotation] owner = false}) takes no step: it only
 * follows what the lifecycle files say (see {@code RelayService}).
 */
final class RotationFollower {
  private static final KeyRotation.Outcome NOTHING = new KeyRotation.Outcome(List.of(), false);

  private final KeyRotation rotation;
  private final KeyPublication publication;
  private final SecureRandom random;
  private final boolean owner;
  private final Announcer announcer;

  RotationFollower(
      KeyRotation rotation,
      KeyPublication publication,
      SecureRandom random,
      boolean owner,
      Announcer announcer) {
    this.rotation = rotation;
    this.publication = publication;
    this.random = random;
    this.owner = owner;
    this.announcer = announcer;
  }

  /**
   * A rotation step that came due while the relay was down; a failure is retried later.
   *
   * @return whether it changed which keys sign
   */
  boolean catchUp(RelayMetrics metrics) {
    try {
      KeyRotation.Outcome outcome = step();
      report(outcome, metrics);
      return outcome.signingChanged();
    } catch (UncheckedIOException | KeyToolException | IllegalArgumentException e) {
      // The keys sign as they are; the step is tried again every dns.recheck.
      announcer.warn("dkimrelay: rotation step failed, trying again later: " + e.getMessage());
      return false;
    }
  }

  /** One step: a standby key seen published switches, a retired key's grace ends, and so on. */
  KeyRotation.Outcome step() {
    return owner ? rotation.step(publication, new DkimKeyGenerator(random)) : NOTHING;
  }

  /**
   * One rotation step, then the active keys as the lifecycle files say ({@code onDisk} loads them).
   * When they are not the keys the relay signs with — this step switched, or another instance on
   * the same keys directory or a command ({@code keys retire}) changed them — the relay signs with
   * the new set from the next message on.
   */
  void follow(
      Supplier<SigningEngine> onDisk,
      PublishedKeys published,
      MessagePipeline pipeline,
      boolean requirePublished) {
    KeyRotation.Outcome outcome = step();
    SigningEngine loaded;
    try {
      loaded = onDisk.get();
    } catch (ServiceException e) {
      announcer.warn(
          "dkimrelay: rotation: cannot read the keys, signing as before: " + e.getMessage());
      return;
    }
    List<String> signing = keyNames(loaded.table().keys());
    boolean changedElsewhere = !signing.equals(keyNames(published.allKeys()));
    if (outcome.signingChanged() || changedElsewhere) {
      pipeline.replaceEngine(published.reload(loaded, requirePublished));
    }
    report(outcome, pipeline.metrics()); // once the relay signs accordingly
    if (changedElsewhere && !outcome.signingChanged()) {
      announcer.info(
          "dkimrelay: rotation: the lifecycle changed (another dkimrelay or a command);"
              + " now signing with "
              + String.join(", ", signing));
    }
  }

  private static List<String> keyNames(List<SigningKey> keys) {
    return keys.stream()
        .map(key -> key.key().domain() + "/" + key.key().selector())
        .sorted()
        .toList();
  }

  /** Tells the admin (output, log, metrics) what a rotation step changed. */
  void report(KeyRotation.Outcome outcome, RelayMetrics metrics) {
    for (KeyRotation.Change change : outcome.changes()) {
      metrics.keyStateChanged(change.domain().name(), change.selector(), change.state().word());
      announcer.info("dkimrelay: rotation: " + change.line());
    }
  }

  /** What still waits for the admin (records to publish), one line each. */
  List<KeyRotation.Waiting> waiting() {
    return rotation.waiting();
  }
}
