package org.dkimrelay.relay.service;

import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.dkimrelay.relay.config.RelayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code dkimrelay run}: the relay in the foreground, as systemd runs it. SIGHUP reloads; SIGTERM
 * (or Ctrl-C) stops it gracefully: new connections get 421, transactions in flight get {@code
 * grace} to finish.
 */
public final class Foreground {
  private static final Logger LOG = LoggerFactory.getLogger(Foreground.class);

  private Foreground() {}

  /**
   * Starts the relay and returns once the JVM was told to stop and the relay has stopped.
   *
   * @throws ServiceException when it cannot start, naming what to fix
   */
  public static void run(
      ConfigSource source,
      RelayConfig config,
      Clock clock,
      SecureRandom random,
      PrintWriter out,
      Duration grace)
      throws InterruptedException {
    RelayLogging.configure(config.log().format());
    // Installed before the relay says it is listening: SIGHUP's default action ends the JVM. One
    // that comes while the relay starts is carried out as soon as it runs.
    AtomicReference<RelayService> running = new AtomicReference<>();
    AtomicBoolean pending = new AtomicBoolean();
    if (!HangupSignal.onHangup(() -> reload(running, pending))) {
      LOG.warn("this JVM offers no SIGHUP handling: reload by restarting");
    }
    // Also installed before the relay says it is ready, so that a SIGTERM right after "ready"
    // still stops it gracefully: the hook waits (on starting) until the relay is up or failed.
    CountDownLatch stopped = new CountDownLatch(1);
    Object starting = new Object();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  synchronized (starting) {
                    RelayService service = running.get();
                    if (service != null) {
                      stopGracefully(service, out, grace);
                    }
                  }
                  stopped.countDown();
                },
                "dkimrelay-shutdown"));
    synchronized (starting) {
      running.set(RelayService.start(source, config, clock, random, out));
    }
    if (pending.getAndSet(false)) {
      running.get().reload();
    }
    stopped.await();
  }

  private static void stopGracefully(RelayService service, PrintWriter out, Duration grace) {
    service.stopAdmitting();
    // a milter-only instance has no SMTP listener to answer 421 on
    out.println(
        "dkimrelay stopping: "
            + (service.proxyPort().isPresent()
                ? "new connections get 421; transactions"
                : "messages")
            + " in flight have up to "
            + grace.toSeconds()
            + " s to finish");
    out.flush();
    service.stop(grace);
  }

  private static void reload(AtomicReference<RelayService> running, AtomicBoolean pending) {
    pending.set(true);
    RelayService service = running.get();
    if (service != null && pending.getAndSet(false)) {
      service.reload();
    }
  }
}
