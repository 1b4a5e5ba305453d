package org.dkimrelay.relay.milter;

import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * One MTA connection being served, and by when its peer must have sent something: the server's
 * reaper closes a connection whose peer is overdue, so a stalled or idle peer frees its slot.
 */
final class MilterConnection {
  private static final long NEVER = Long.MAX_VALUE / 2;

  final String id;
  final SocketChannel channel;
  final MilterSession session;
  private volatile long deadline; // System.nanoTime()

  MilterConnection(String id, SocketChannel channel, MilterSession session) {
    this.id = id;
    this.channel = channel;
    this.session = session;
  }

  /** The peer must send within {@code wait} from now. */
  void expectWithin(Duration wait) {
    deadline = System.nanoTime() + wait.toNanos();
  }

  /** We are answering: the peer owes nothing until we have. */
  void answering() {
    deadline = System.nanoTime() + NEVER;
  }

  boolean overdue(long now) {
    return now - deadline > 0;
  }
}
