package org.dkimrelay.relay.service;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A task the relay repeats in the background (DNS recheck, rotation) until the JVM ends. */
public final class Repeating {
  private static final Logger LOG = LoggerFactory.getLogger(Repeating.class);

  private Repeating() {}

  /**
   * Runs {@code task} every {@code period} on a daemon thread called {@code name}, until the
   * returned scheduler is shut down; a failure is logged and the task runs again at the next
   * period.
   */
  public static ScheduledExecutorService every(Duration period, String name, Runnable task) {
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "dkimrelay-" + name);
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            LOG.warn("{} failed, trying again in {}: {}", name, period, e.toString());
          }
        },
        period.toMillis(),
        period.toMillis(),
        TimeUnit.MILLISECONDS);
    return scheduler;
  }
}
