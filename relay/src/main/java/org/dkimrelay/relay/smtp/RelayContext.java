package org.dkimrelay.relay.smtp;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/** What every session shares: the signing engine, the spooler, upstream, limits, counters. */
final class RelayContext {
  private final AtomicReference<SigningEngine> engine;

  private final Spooler spooler;
  private final UpstreamSettings upstream;
  private final long maxMessageSize;
  private final RelayMetrics metrics;
  private final boolean explain;

  private final AtomicInteger openTransactions = new AtomicInteger();

  RelayContext(
      SigningEngine engine,
      Spooler spooler,
      UpstreamSettings upstream,
      long maxMessageSize,
      RelayMetrics metrics,
      boolean explain) {
    this.explain = explain;
    this.engine = new AtomicReference<>(engine);
    this.metrics = metrics;
    this.spooler = spooler;
    this.upstream = upstream;
    this.maxMessageSize = maxMessageSize;
  }

  /** The engine in force; a message uses the one it started with. */
  SigningEngine engine() {
    return engine.get();
  }

  void replaceEngine(SigningEngine replacement) {
    engine.set(replacement);
  }

  Spooler spooler() {
    return spooler;
  }

  UpstreamSettings upstream() {
    return upstream;
  }

  /** Log each message's signing decision too ({@code log.explain}). */
  boolean explain() {
    return explain;
  }

  RelayMetrics metrics() {
    return metrics;
  }

  long maxMessageSize() {

    return maxMessageSize;
  }

  void transactionStarted() {
    openTransactions.incrementAndGet();
  }

  void transactionEnded() {
    openTransactions.decrementAndGet();
  }

  int openTransactions() {
    return openTransactions.get();
  }
}
