package org.dkimrelay.relay.service;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.rotation.KeyPublication;
import org.dkimrelay.relay.rotation.Publication;

/**
 * DNS-aware signing for {@code run}: which keys have their record published, at start and every
 * {@code dns.recheck}. With {@code signing.require-published} only those sign; otherwise the relay
 * only says which ones receivers cannot verify. A failed lookup keeps a key's state.
 */
public final class PublishedKeys {

  private final KeyPublication publication;
  private SigningEngine engine;
  private boolean requirePublished;
  private List<KeyPublication.Status> latest;
  private final Set<SigningKey> usable;

  public PublishedKeys(KeyPublication publication, SigningEngine engine, boolean requirePublished) {
    this.publication = publication;
    this.engine = engine;
    this.requirePublished = requirePublished;
    this.latest = publication.check(engine.table().keys());
    this.usable = usable(latest, Set.of());
  }

  /**
   * After a reload: the new keys and settings, their records checked now. Keys that stayed keep
   * their state if a lookup fails.
   *
   * @return the engine to sign with from now on
   */
  public synchronized SigningEngine reload(SigningEngine reloaded, boolean requirePublishedNow) {
    engine = reloaded;
    requirePublished = requirePublishedNow;
    latest = publication.check(engine.table().keys());
    Set<SigningKey> now = usable(latest, usable);
    usable.clear();
    usable.addAll(now);
    return engine();
  }

  /** The engine to sign with: every key, or only the published ones. */
  public synchronized SigningEngine engine() {
    return requirePublished ? engine.withKeys(List.copyOf(usable)) : engine;
  }

  /** Every key of the keys directory, published or not. */
  public synchronized List<SigningKey> allKeys() {
    return engine.table().keys();
  }

  /** The engine with every key, published or not. */
  public synchronized SigningEngine allKeysEngine() {
    return engine;
  }

  /** True while {@code key}'s record is published (the last check's answer). */
  public synchronized boolean usable(SigningKey key) {
    return usable.contains(key);
  }

  public synchronized int signingKeys() {
    return requirePublished ? usable.size() : engine.table().keys().size();
  }

  public synchronized void print(PrintWriter out) {
    for (KeyPublication.Status status : latest) {
      if (status.state() == Publication.PUBLISHED) {
        out.println("  " + status.line());
      } else if (requirePublished) {
        out.println(
            "  "
                + status.line()
                + ": held, not used to sign until its record is published (signing.require-published)");
      } else {
        out.println(
            "  "
                + status.line()
                + ": signing anyway; receivers cannot verify until it is published");
      }
    }
  }

  /** Looks again every {@code period}; a change is printed, logged and, if required, applied. */
  ScheduledExecutorService watch(MessagePipeline pipeline, Duration period, Announcer announcer) {
    return Repeating.every(period, "dns-recheck", () -> recheck(pipeline, announcer));
  }

  private synchronized void recheck(MessagePipeline pipeline, Announcer announcer) {
    List<KeyPublication.Status> statuses = publication.check(engine.table().keys());
    Set<SigningKey> now = usable(statuses, usable);
    if (now.equals(usable)) {
      return;
    }
    Set<SigningKey> before = Set.copyOf(usable);
    usable.clear();
    usable.addAll(now);
    if (requirePublished) {
      pipeline.replaceEngine(engine.withKeys(List.copyOf(now))); // before saying so
    }
    for (KeyPublication.Status status : statuses) {
      boolean nowUsable = now.contains(status.key());
      if (nowUsable != before.contains(status.key())) {
        String action = nowUsable ? ": signing with it" : ": no longer signing with it";
        announcer.warn("dkimrelay: " + status.line() + (requirePublished ? action : ""));
      }
    }
  }

  /** Published keys; a key whose lookup failed keeps its previous state ({@code before}). */
  private static Set<SigningKey> usable(
      List<KeyPublication.Status> statuses, Set<SigningKey> before) {
    Set<SigningKey> usable = new HashSet<>();
    for (KeyPublication.Status status : statuses) {
      boolean published =
          status.state() == Publication.PUBLISHED
              || (status.state() == Publication.UNKNOWN && before.contains(status.key()));
      if (published) {
        usable.add(status.key());
      }
    }
    return usable;
  }
}
