package org.dkimrelay.relay.smtp;

import java.time.Duration;

/**
 * How far one client is with what it owes us, so that a client trickling bytes cannot hold a
 * session for ever (the socket's idle timeout alone resets with every byte). A command line must be
 * complete within {@code timeout} of the previous reply; DATA gets {@code timeout} plus one second
 * for every {@code minDataRate} bytes received (Postfix's smtpd_min_data_rate model). While the
 * relay itself works (waiting for upstream) the client owes nothing.
 */
final class ClientPace {
  private enum Phase {
    COMMAND,
    DATA,
    SERVING
  }

  private final long timeoutNanos;
  private final long minDataRate;
  // Written by the session's thread, read by the watchdog's.
  private volatile Phase phase = Phase.COMMAND;
  private volatile long since;
  private volatile long dataBytes;
  private volatile boolean cutOff;

  ClientPace(Duration timeout, long minDataRate, long now) {
    this.timeoutNanos = timeout.toNanos();
    this.minDataRate = minDataRate;
    this.since = now;
  }

  /** A reply was sent: the next command line is due. */
  void awaitingCommand(long now) {
    since = now;
    phase = Phase.COMMAND;
  }

  /** The relay is working on a command; the client owes nothing until the reply. */
  void serving() {
    phase = Phase.SERVING;
  }

  /** 354 was sent: message bytes are due. */
  void dataStarted(long now) {
    dataBytes = 0;
    since = now;
    phase = Phase.DATA;
  }

  void dataReceived(int bytes) {
    dataBytes += bytes; // only the session's thread writes
  }

  /** The watchdog closed the connection; the session ends soon. */
  void cutOff() {
    cutOff = true;
  }

  /** Whether the client is behind at {@code now} (nanoTime) and was not cut off yet. */
  boolean overdue(long now) {
    if (cutOff) {
      return false;
    }
    long elapsed = now - since;
    return switch (phase) {
      case COMMAND -> elapsed > timeoutNanos;
      case DATA -> elapsed > timeoutNanos + dataBytes * 1_000_000_000L / minDataRate;
      case SERVING -> false;
    };
  }

  /** For the log line. */
  String describe() {
    return phase == Phase.DATA
        ? "message data arriving too slowly (" + dataBytes + " bytes so far)"
        : "command line not complete in time";
  }
}
