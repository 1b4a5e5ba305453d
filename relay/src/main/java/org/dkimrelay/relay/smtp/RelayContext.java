package org.dkimrelay.relay.smtp;

import java.util.concurrent.atomic.AtomicInteger;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/** What every session shares: the signing engine, the spooler, upstream, limits, counters. */
final class RelayContext {
  private final SigningEngine engine;
  private final Spooler spooler;
  private final UpstreamSettings upstream;
  private final long maxMessageSize;
  private final AtomicInteger openTransactions = new AtomicInteger();

  RelayContext(
      SigningEngine engine, Spooler spooler, UpstreamSettings upstream, long maxMessageSize) {
    this.engine = engine;
    this.spooler = spooler;
    this.upstream = upstream;
    this.maxMessageSize = maxMessageSize;
  }

  SigningEngine engine() {
    return engine;
  }

  Spooler spooler() {
    return spooler;
  }

  UpstreamSettings upstream() {
    return upstream;
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
