package org.dkimrelay.relay.service;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchProviderException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.relay.config.ConfigException;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.config.SigningSetup;
import org.dkimrelay.relay.dkim.Signatures;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dns.DnsResolver;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.milter.MilterServer;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.rotation.KeyPublication;
import org.dkimrelay.relay.rotation.KeyRotation;
import org.dkimrelay.relay.smtp.RelayServer;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/**
 * The running relay: one signing pipeline and its front-ends (the SMTP proxy, the milter), the DNS
 * recheck, key rotation, reload and metrics. {@code run} starts it; tests start the same object.
 * What the admin must know (records to publish, where it listens) goes to {@code out}.
 */
public final class RelayService {

  private final ConfigSource source;
  private final Clock clock;
  private final PrintWriter out;
  private final Announcer announcer;
  private final RelayConfig running;
  private volatile RelayConfig current; // the last configuration read without error
  private final PublishedKeys published;
  private final RotationFollower rotation;
  private final MessagePipeline pipeline;
  private final Optional<RelayServer> proxy;
  private final Optional<MilterServer> milter;
  private final List<ScheduledExecutorService> background = new CopyOnWriteArrayList<>();

  private RelayService(
      ConfigSource source, RelayConfig config, Clock clock, SecureRandom random, PrintWriter out) {
    this.source = source;
    this.running = config;
    this.current = config;
    this.clock = clock;
    this.out = out;
    this.announcer = new Announcer(out, config.log().format());
    KeyPublication publication;
    try {
      publication = new KeyPublication(DnsResolver.using(config.dns().resolver()));
    } catch (IllegalArgumentException e) {
      throw new ServiceException("dns.resolver: " + e.getMessage());
    }
    RelayMetrics metrics = new RelayMetrics();
    KeyDirectory keys = source.keys(config);
    this.rotation =
        new RotationFollower(
            new KeyRotation(keys, config.rotation().policy(), clock),
            publication,
            random,
            config.rotation().owner(),
            announcer);
    SigningEngine engine = engine(config);
    metrics.cryptoProvider(signatures().label());
    if (rotation.catchUp(metrics)) {
      engine = engine(config); // a rotation step came due while the relay was down
    }
    this.published = new PublishedKeys(publication, engine, config.signing().requirePublished());
    this.pipeline = new MessagePipeline(published.engine(), metrics, config.log().explain());
    MemoryBudget memory = Frontends.memoryBudget(); // one for every front-end of this process
    try {
      this.proxy =
          config.listen().enabled()
              ? Optional.of(
                  new RelayServer(
                      Frontends.listen(config),
                      pipeline,
                      Frontends.spooler(config, memory),
                      Frontends.upstream(config)))
              : Optional.empty();
    } catch (IllegalArgumentException e) {
      throw new ServiceException("listen: " + e.getMessage());
    }
    this.milter = Frontends.milter(config, memory).map(this::milterServer);
    ServiceMetrics.keys(metrics, keys, engine, clock, published);
  }

  /**
   * Loads the keys, binds every front-end and starts them.
   *
   * @throws ServiceException naming what to fix, when anything is wrong: nothing is left running
   */
  public static RelayService start(
      ConfigSource source, RelayConfig config, Clock clock, SecureRandom random, PrintWriter out) {
    RelayService service = new RelayService(source, config, clock, random, out);
    service.startFrontends();
    return service;
  }

  private MilterServer milterServer(MilterServer.Settings settings) {
    try {
      return new MilterServer(settings, pipeline);
    } catch (IOException | RuntimeException e) {
      throw new ServiceException(
          "cannot listen on milter " + settings.address() + ": " + bindFailure(settings, e));
    }
  }

  /** Why a milter address could not be bound, with what to do: no raw exception text. */
  private static String bindFailure(MilterServer.Settings settings, Exception e) {
    Optional<Path> socket = settings.address().unix();
    if (socket.isPresent() && !Files.isDirectory(socket.get().getParent())) {
      return "the directory "
          + socket.get().getParent()
          + " does not exist: create it, writable by the user dkimrelay runs as";
    }
    if (e instanceof BindException) {
      return "the address is in use: is OpenDKIM, or another dkimrelay, still running on it?"
          + " Stop it, or choose another [milter] address";
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private void startFrontends() {
    RelayConfig config = running;
    try {
      proxy.ifPresent(RelayServer::start);
    } catch (RuntimeException e) {
      milter.ifPresent(server -> server.stop(Duration.ZERO));
      throw new ServiceException(
          "cannot listen on " + config.listen().address() + ": " + rootMessage(e));
    }
    milter.ifPresent(MilterServer::start);
    out.println("signing with " + signatures().description());
    out.println("Publish these TXT records ('dkimrelay check DOMAIN' compares DNS with them):");
    for (SigningKey key : published.allKeys()) {
      out.println("  " + key.key().txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine());
    }
    rotation.waiting().forEach(line -> out.println("  " + line));
    published.print(out);
    ServiceMetrics.serve(config, pipeline.metrics(), out);
    milter.ifPresent(
        server ->
            out.printf(
                "dkimrelay milter listening on %s, signing mail of %s%s%n",
                milterAddress(server),
                config.milter().internal(),
                config.milter().authenticated() ? " and of authenticated clients" : ""));
    if (proxy.isPresent()) {
      out.printf(
          "dkimrelay listening on %s:%d, signing for %d key(s), upstream %s%n",
          config.listen().address().host(),
          proxy.get().port(),
          published.signingKeys(),
          config.upstream().address());
    } else {
      out.printf(
          "dkimrelay ready: milter only ([listen] enabled = false), signing for %d key(s)%n",
          published.signingKeys());
    }
    out.flush();
    Duration recheck = config.dns().recheck().duration();
    background.add(published.watch(pipeline, recheck, announcer));
    background.add(Repeating.every(recheck, "rotation", this::followRotation));
  }

  private static String milterAddress(MilterServer server) {
    return server.address().inet().isPresent()
        ? "inet:" + server.address().inet().get().host() + ":" + server.port()
        : server.address().toString();
  }

  /** The proxy's TCP port (the one chosen when configured as 0). */
  public Optional<Integer> proxyPort() {
    return proxy.map(RelayServer::port);
  }

  /** The milter's TCP port (the one chosen when configured as 0); empty for a unix socket. */
  public Optional<Integer> milterPort() {
    return milter.map(MilterServer::port).filter(port -> port >= 0);
  }

  public MessagePipeline pipeline() {
    return pipeline;
  }

  /**
   * SIGHUP: reads the configuration and the keys again and signs with them from the next message.
   * Anything wrong keeps the running configuration. Listen, milter, upstream, DNS, metrics and
   * rotation settings need a restart.
   */
  public synchronized void reload() {
    try {
      RelayConfig fresh = source.read();
      SigningEngine engine = engine(fresh);
      // Upstream's settings need a restart, but its password file is read again: a new password
      // takes effect now, an unreadable file fails the reload here rather than every message.
      UpstreamSettings upstream =
          Frontends.upstream(fresh.upstream().equals(running.upstream()) ? fresh : running);
      ReloadNotes.droppedDomains(published.allKeysEngine(), engine, current)
          .forEach(announcer::warn);
      pipeline.replaceEngine(published.reload(engine, fresh.signing().requirePublished()));
      proxy.ifPresent(server -> server.upstream(upstream));
      current = fresh;
      String result =
          "dkimrelay: reloaded: signing with "
              + published.signingKeys()
              + " key(s)"
              + ReloadNotes.restartNeeded(fresh, running);
      announcer.info(result);
    } catch (ServiceException | KeyToolException | UncheckedIOException e) {
      announcer.warn(
          "dkimrelay: reload failed, keeping the running configuration: " + e.getMessage());
    }
    synchronized (out) {
      published.print(out);
      out.flush();
    }
  }

  /**
   * Checks what {@code run --check-config} promises without starting anything: the keys load and
   * the front-ends' settings are usable.
   *
   * @return how many keys would sign
   */
  public static int validate(ConfigSource source, RelayConfig config, Clock clock) {
    Frontends.upstream(config);
    Frontends.listen(config);
    return loadEngine(source, config, clock).table().keys().size();
  }

  /** The first step of {@link #stop}: new SMTP connections get 421, new milter ones none. */
  public void stopAdmitting() {
    proxy.ifPresent(RelayServer::stopAdmitting);
  }

  /**
   * Stops every front-end; transactions in flight get up to {@code grace} to finish. Whatever is
   * cut off was not accepted, so the MTA still has it.
   */
  public void stop(Duration grace) {
    stopAdmitting();
    background.forEach(ScheduledExecutorService::shutdownNow); // no recheck against a stopped relay
    milter.ifPresent(server -> server.stop(grace));
    proxy.ifPresent(server -> server.stop(grace));
  }

  /** The engine for {@code config}, for a reload or a rotation step. */
  private SigningEngine engine(RelayConfig config) {
    return loadEngine(source, config, clock);
  }

  /** The provider every key signs with ({@code -Ddkimrelay.crypto-provider}). */
  public static Signatures signatures() {
    try {
      return Signatures.selected();
    } catch (NoSuchProviderException e) {
      throw new ServiceException(e.getMessage());
    }
  }

  /** The signing engine with every key of the keys directory, loaded and checked once. */
  private static SigningEngine loadEngine(ConfigSource source, RelayConfig config, Clock clock) {
    KeyDirectory keys = source.keys(config);
    try {
      SigningEngine engine = SigningSetup.load(config.signing(), keys, clock);
      if (engine.table().keys().isEmpty()) {
        throw new ServiceException(
            "no keys in "
                + keys.root()
                + ": create one with 'dkimrelay keygen DOMAIN', or start with 'run --domain DOMAIN'");
      }
      return engine;
    } catch (ConfigException e) {
      throw new ServiceException(e.getMessage());
    }
  }

  /** Every {@code dns.recheck}: see {@link RotationFollower#follow}. */
  private synchronized void followRotation() {
    RelayConfig config = current;
    rotation.follow(() -> engine(config), published, pipeline, config.signing().requirePublished());
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage();
  }
}
