package org.dkimrelay.relay.service;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.security.NoSuchProviderException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.Signatures;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dns.DnsResolver;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.rotation.KeyPublication;
import org.dkimrelay.relay.rotation.KeyRotation;

/**
 * The one signing runtime every long-running front-end signs on ({@code run}'s milter and proxy,
 * the OpenSMTPD filter): it loads the engine from the configuration and the keys directory (one set
 * of checks), signs only published keys when {@code signing.require-published} says so, looks at
 * DNS and follows the rotation lifecycle every {@code dns.recheck}, reloads, and keeps the metrics.
 * A front-end only takes {@link #pipeline()} and encodes its wire protocol.
 */
public final class SigningRuntime {

  private final ConfigSource source;
  private final Clock clock;
  private final PrintWriter out;
  private final Announcer announcer;
  private final RelayConfig running; // as started: what needs a restart is compared with it
  private volatile RelayConfig current; // the last configuration read without error
  private final KeyDirectory keys;
  private final PublishedKeys published;
  private final RotationFollower rotation;
  private final MessagePipeline pipeline;
  private final List<ScheduledExecutorService> background = new CopyOnWriteArrayList<>();

  /**
   * What a front-end checks of a configuration read again before the runtime signs with it, and
   * applies once it does (the proxy: upstream's password file).
   */
  public interface ReloadCheck {
    /**
     * @throws ServiceException when {@code fresh} cannot be used: the reload keeps the running one
     * @return what to do once the runtime signs with {@code fresh}
     */
    Runnable check(RelayConfig fresh);
  }

  /**
   * Loads the keys, takes a rotation step that came due while nothing ran, and asks DNS which keys
   * are published.
   *
   * @throws ServiceException naming what to fix
   */
  public SigningRuntime(
      ConfigSource source, RelayConfig config, Clock clock, SecureRandom random, PrintWriter out) {
    this.source = source;
    this.clock = clock;
    this.out = out;
    this.running = config;
    this.current = config;
    this.announcer = new Announcer(out, config.log().format());
    KeyPublication publication;
    try {
      publication = new KeyPublication(DnsResolver.using(config.dns().resolver()));
    } catch (IllegalArgumentException e) {
      throw new ServiceException("dns.resolver: " + e.getMessage());
    }
    RelayMetrics metrics = new RelayMetrics();
    this.keys = source.keys(config);
    this.rotation =
        new RotationFollower(
            new KeyRotation(keys, Policies.rotation(config.rotation()), clock),
            publication,
            random,
            config.rotation().owner(),
            announcer);
    SigningEngine engine = loadEngine(source, config, clock);
    metrics.cryptoProvider(signatures().label());
    if (rotation.catchUp(metrics)) {
      engine = loadEngine(source, config, clock); // a step came due while nothing ran
    }
    this.published = new PublishedKeys(publication, engine, config.signing().requirePublished());
    this.pipeline = new MessagePipeline(published.engine(), metrics, config.log().explain());
    ServiceMetrics.keys(metrics, keys, engine, clock, published);
  }

  /**
   * The signing engine with every active key of the keys directory, loaded and checked once: the
   * one place that refuses to start without keys (a signer without keys would pass every message
   * unsigned).
   *
   * @throws ServiceException naming what to fix
   */
  public static SigningEngine loadEngine(ConfigSource source, RelayConfig config, Clock clock) {
    KeyDirectory keys = source.keys(config);
    SigningEngine engine = SigningSetup.load(config, keys, clock);
    if (engine.table().keys().isEmpty()) {
      throw new ServiceException(
          "no keys in "
              + keys.root()
              + ": create one with 'dkimrelay keygen --keys "
              + keys.root()
              + " DOMAIN'");
    }
    return engine;
  }

  /** The provider every key signs with ({@code -Ddkimrelay.crypto-provider}). */
  public static Signatures signatures() {
    try {
      return Signatures.selected();
    } catch (NoSuchProviderException e) {
      throw new ServiceException(e.getMessage());
    }
  }

  public MessagePipeline pipeline() {
    return pipeline;
  }

  /** How many keys sign now (with {@code require-published}: only the published ones). */
  public int signingKeys() {
    return published.signingKeys();
  }

  /**
   * Says what the admin must know (the provider, the records still to publish, each key's DNS
   * state) and serves {@code [metrics]} when configured.
   *
   * @throws ServiceException when the metrics address cannot be bound
   */
  public void announce() {
    synchronized (out) {
      out.println("signing with " + signatures().description());
      List<SigningKey> unpublished =
          published.allKeys().stream().filter(key -> !published.usable(key)).toList();
      List<KeyRotation.Waiting> standbys = rotation.waiting();
      Set<String> toPublish = new TreeSet<>();
      unpublished.forEach(key -> toPublish.add(key.key().domain().name()));
      standbys.stream()
          .filter(KeyRotation.Waiting::toPublish)
          .forEach(waiting -> toPublish.add(waiting.domain()));
      if (!toPublish.isEmpty()) {
        out.println(
            "Publish these TXT records ("
                + toPublish.stream()
                    .map(
                        domain ->
                            "'dkimrelay check "
                                + domain
                                + " --keys "
                                + running.signing().keys()
                                + "'")
                    .collect(Collectors.joining(", "))
                + " compares DNS with them):");
        for (SigningKey key : unpublished) {
          out.println("  " + key.key().txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine());
        }
        standbys.stream()
            .filter(KeyRotation.Waiting::toPublish)
            .forEach(waiting -> out.println("  " + waiting.line()));
      }
      standbys.stream()
          .filter(waiting -> !waiting.toPublish())
          .forEach(waiting -> out.println("  " + waiting.line()));
      published.print(out);
      ServiceMetrics.serve(running, pipeline.metrics(), out);
      out.flush();
    }
  }

  /**
   * Every {@code dns.recheck} from now on: which keys DNS shows, and a rotation step. With {@code
   * watchFiles}, also a reload when the configuration file or the keys directory changed (for a
   * process that is sent no SIGHUP: smtpd does not pass signals to its filters).
   */
  public void startBackground(boolean watchFiles) {
    Duration recheck = running.dns().recheck().duration();
    background.add(published.watch(pipeline, recheck, announcer));
    background.add(Repeating.every(recheck, "rotation", this::followRotation));
    if (watchFiles) {
      FileWatch watch = new FileWatch(source.file(), keys.root());
      background.add(
          Repeating.every(
              recheck,
              "reload",
              () -> {
                if (watch.changed()) {
                  reload(fresh -> () -> {});
                }
              }));
    }
  }

  /**
   * Reads the configuration and the keys again and signs with them from the next message. Anything
   * wrong keeps the running configuration and says why. Listen, milter, upstream, DNS, metrics and
   * rotation settings need a restart.
   */
  public synchronized void reload(ReloadCheck frontEnds) {
    try {
      RelayConfig fresh = source.read();
      SigningEngine engine = loadEngine(source, fresh, clock);
      Runnable apply = frontEnds.check(fresh);
      ReloadNotes.droppedDomains(published.allKeysEngine(), engine, current)
          .forEach(announcer::warn);
      pipeline.replaceEngine(published.reload(engine, fresh.signing().requirePublished()));
      apply.run();
      current = fresh;
      announcer.info(
          "dkimrelay: reloaded: signing with "
              + published.signingKeys()
              + " key(s)"
              + ReloadNotes.restartNeeded(fresh, running));
    } catch (ServiceException | KeyToolException | UncheckedIOException e) {
      announcer.warn(
          "dkimrelay: reload failed, keeping the running configuration: " + e.getMessage());
    }
    synchronized (out) {
      published.print(out);
      out.flush();
    }
  }

  /** Every {@code dns.recheck}: see {@link RotationFollower#follow}. */
  private synchronized void followRotation() {
    RelayConfig config = current;
    rotation.follow(
        () -> loadEngine(source, config, clock),
        published,
        pipeline,
        config.signing().requirePublished());
  }

  /** No more DNS rechecks, rotation steps or reloads. */
  public void stop() {
    background.forEach(ScheduledExecutorService::shutdownNow);
  }
}
