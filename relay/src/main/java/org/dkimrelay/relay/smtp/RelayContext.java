package org.dkimrelay.relay.smtp;

import java.util.concurrent.atomic.AtomicInteger;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/** What every session shares: the signing pipeline, the spooler, upstream, limits, counters. */
final class RelayContext {
  private final MessagePipeline pipeline;
  private final Spooler spooler;
  private volatile UpstreamSettings upstream; // replaced at reload: the password file is re-read
  private final long maxMessageSize;

  private final AtomicInteger openTransactions = new AtomicInteger();

  RelayContext(
      MessagePipeline pipeline, Spooler spooler, UpstreamSettings upstream, long maxMessageSize) {
    this.pipeline = pipeline;
    this.spooler = spooler;
    this.upstream = upstream;
    this.maxMessageSize = maxMessageSize;
  }

  MessagePipeline pipeline() {
    return pipeline;
  }

  Spooler spooler() {
    return spooler;
  }

  UpstreamSettings upstream() {
    return upstream;
  }

  void upstream(UpstreamSettings settings) {
    upstream = settings;
  }

  RelayMetrics metrics() {
    return pipeline.metrics();
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
