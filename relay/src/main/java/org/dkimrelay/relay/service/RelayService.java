package org.dkimrelay.relay.service;

import java.io.IOException;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.dkimrelay.relay.config.HostPort;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.milter.MilterServer;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.smtp.RelayServer;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/**
 * {@code run}: the signing runtime and the front-ends it feeds (the SMTP proxy, the milter). What
 * the admin must know (records to publish, where it listens) goes to {@code out}.
 */
public final class RelayService {

  private final RelayConfig running;
  private final PrintWriter out;
  private final SigningRuntime runtime;
  private final Optional<RelayServer> proxy;
  private final Optional<MilterServer> milter;

  private RelayService(
      ConfigSource source, RelayConfig config, Clock clock, SecureRandom random, PrintWriter out) {
    this.running = config;
    this.out = out;
    this.runtime = new SigningRuntime(source, config, clock, random, out);
    MemoryBudget memory = Frontends.memoryBudget(); // one for every front-end of this process
    try {
      this.proxy =
          config.listen().enabled()
              ? Optional.of(
                  new RelayServer(
                      Frontends.listen(config),
                      runtime.pipeline(),
                      Frontends.spooler(config, memory),
                      Frontends.upstream(config)))
              : Optional.empty();
    } catch (IllegalArgumentException e) {
      throw new ServiceException("listen: " + e.getMessage());
    }
    this.milter = Frontends.milter(config, memory).map(this::milterServer);
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
      return new MilterServer(settings, runtime.pipeline());
    } catch (IOException | RuntimeException e) {
      throw new ServiceException(
          "cannot listen on milter "
              + settings.address()
              + ": "
              + BindFailure.describe(
                  "[milter]",
                  "OpenDKIM, or another dkimrelay,",
                  settings.address().unix(),
                  settings.address().inet().map(HostPort::port),
                  e));
    }
  }

  private void startFrontends() {
    RelayConfig config = running;
    try {
      proxy.ifPresent(RelayServer::start);
    } catch (RuntimeException e) {
      milter.ifPresent(server -> server.stop(Duration.ZERO));
      throw new ServiceException(
          "cannot listen on "
              + config.listen().address()
              + ": "
              + BindFailure.describe(
                  "[listen]",
                  "the MTA, or another dkimrelay,",
                  Optional.empty(),
                  Optional.of(config.listen().address().port()),
                  e));
    }
    milter.ifPresent(MilterServer::start);
    runtime.announce();
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
          runtime.signingKeys(),
          config.upstream().address());
    } else {
      out.printf(
          "dkimrelay ready: milter only ([listen] enabled = false), signing for %d key(s)%n",
          runtime.signingKeys());
    }
    out.flush();
    runtime.startBackground(false); // run reloads on SIGHUP
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
    return runtime.pipeline();
  }

  /**
   * SIGHUP: reads the configuration and the keys again and signs with them from the next message.
   * Upstream's settings need a restart, but its password file is read again: a new password takes
   * effect now, an unreadable file fails the reload here rather than every message.
   */
  public void reload() {
    runtime.reload(
        fresh -> {
          UpstreamSettings upstream =
              Frontends.upstream(fresh.upstream().equals(running.upstream()) ? fresh : running);
          return () -> proxy.ifPresent(server -> server.upstream(upstream));
        });
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
    return SigningRuntime.loadEngine(source, config, clock).table().keys().size();
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
    runtime.stop(); // no recheck against a stopped relay
    milter.ifPresent(server -> server.stop(grace));
    proxy.ifPresent(server -> server.stop(grace));
  }
}
