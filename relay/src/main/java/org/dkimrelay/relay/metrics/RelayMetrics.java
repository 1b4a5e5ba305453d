package org.dkimrelay.relay.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * What the relay counts, in Prometheus form: messages signed (per domain, selector, algorithm),
 * passed unsigned, refused and temporarily failed (per reason), upstream replies by class, open
 * sessions, message sizes and processing times, and per key its age and whether its DNS record is
 * published. Never any message content or key material.
 */
public final class RelayMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final DistributionSummary sizes;
  private final Timer processing;

  public RelayMetrics() {
    sizes =
        DistributionSummary.builder("dkimrelay.message.size")
            .baseUnit("bytes")
            .description("size of messages received")
            .serviceLevelObjectives(10_000, 100_000, 1_000_000, 10_000_000, 50_000_000)
            .register(registry);
    processing =
        Timer.builder("dkimrelay.message.processing")
            .description("from the end of DATA from the client to upstream's final reply")
            .serviceLevelObjectives(
                Duration.ofMillis(10),
                Duration.ofMillis(100),
                Duration.ofSeconds(1),
                Duration.ofSeconds(10))
            .register(registry);
  }

  public void signed(String domain, String selector, String algorithm) {
    Counter.builder("dkimrelay.messages.signed")
        .description("messages signed and accepted upstream, one per signature")
        .tags("domain", domain, "selector", selector, "algorithm", algorithm)
        .register(registry)
        .increment();
  }

  /** Sent on unsigned by policy: {@code unknown_domain} or {@code malformed}. */
  public void unsigned(String reason) {
    count("dkimrelay.messages.unsigned", "messages passed on unsigned by policy", reason);
  }

  /** Refused for good (5xx): malformed, unknown_domain, too_large, 8bit. */
  public void refused(String reason) {
    count("dkimrelay.messages.refused", "messages refused with a 5xx of ours", reason);
  }

  /**
   * Mail of a logged-in sender for an author its login may not sign for, by the login's domain
   * ("none" for a login without one): refused or passed unsigned, as {@code senders.on-mismatch}
   * says.
   */
  public void loginMismatch(String loginDomain) {
    Counter.builder("dkimrelay.login.mismatches")
        .description("messages of a login for an author it may not sign for")
        .tags("login_domain", loginDomain)
        .register(registry)
        .increment();
  }

  /** Refused for now (4xx): signing, upstream. */
  public void tempfailed(String reason) {
    count(
        "dkimrelay.messages.tempfailed",
        "messages refused with a 4xx of ours; the MTA retries",
        reason);
  }

  /** A key changed lifecycle state ({@code standby}, {@code active}, {@code retiring}, ...). */
  public void keyStateChanged(String domain, String selector, String state) {
    Counter.builder("dkimrelay.key.transitions")
        .description("key lifecycle changes made by the relay; the state is the new one")
        .tags("domain", domain, "selector", selector, "state", state)
        .register(registry)
        .increment();
  }

  public void upstreamReply(int code) {
    Counter.builder("dkimrelay.upstream.replies")
        .description("upstream's final replies to DATA, by class")
        .tag("class", code / 100 + "xx")
        .register(registry)
        .increment();
  }

  public void message(long size, Duration took) {
    sizes.record(size);
    processing.record(took);
  }

  public void sessions(IntSupplier open) {
    Gauge.builder("dkimrelay.sessions.open", open::getAsInt)
        .description("inbound sessions open")
        .register(registry);
  }

  /** Which provider signs ({@code accp} or {@code jdk}): always 1, the label is the answer. */
  public void cryptoProvider(String provider) {
    Gauge.builder("dkimrelay.crypto.provider", () -> 1)
        .description("the provider the relay signs with, in its label")
        .tag("provider", provider)
        .register(registry);
  }

  /** Per key: days since its file was made, and 1 while its DNS record is published. */
  public void key(
      String domain, String selector, Instant created, Clock clock, BooleanSupplier published) {
    Gauge.builder(
            "dkimrelay.key.age.days",
            () -> Duration.between(created, clock.instant()).toHours() / 24.0)
        .tags("domain", domain, "selector", selector)
        .register(registry);
    Gauge.builder("dkimrelay.key.published", () -> published.getAsBoolean() ? 1 : 0)
        .description("1 when the key's DNS record is published and matches")
        .tags("domain", domain, "selector", selector)
        .register(registry);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  private void count(String name, String description, String reason) {
    Counter.builder(name)
        .description(description)
        .tag("reason", reason.toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }
}
