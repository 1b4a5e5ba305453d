package org.dkimrelay.relay.service;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.relay.config.HostPort;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.metrics.MetricsServer;
import org.dkimrelay.relay.metrics.RelayMetrics;

/** The running relay's metrics: per-key gauges, and the Prometheus endpoint when configured. */
final class ServiceMetrics {
  private ServiceMetrics() {}

  /** A gauge per key: its age and whether its record is published (the last check's answer). */
  static void keys(
      RelayMetrics metrics,
      KeyDirectory keys,
      SigningEngine engine,
      Clock clock,
      PublishedKeys published) {
    for (SigningKey key : engine.table().keys()) {
      Instant created =
          KeyDirectory.written(keys.keyFile(key.key().domain(), key.key().selector()))
              .orElse(clock.instant());
      metrics.key(
          key.key().domain().name(),
          key.key().selector().value(),
          created,
          clock,
          () -> published.usable(key));
    }
  }

  /** {@code [metrics] address}: Prometheus text at /metrics; off unless set. */
  static void serve(RelayConfig config, RelayMetrics metrics, PrintWriter out) {
    if (config.metrics().address().isEmpty()) {
      return;
    }
    HostPort address = config.metrics().address().get();
    try {
      MetricsServer server = new MetricsServer(address.host(), address.port(), metrics);
      server.start();
      out.println("metrics at http://" + address.host() + ":" + server.port() + "/metrics");
    } catch (IOException e) {
      throw new ServiceException(
          "cannot serve metrics on "
              + address
              + ": "
              + BindFailure.describe(
                  "[metrics]",
                  "another dkimrelay, or another exporter,",
                  Optional.empty(),
                  Optional.of(address.port()),
                  e));
    }
  }
}
