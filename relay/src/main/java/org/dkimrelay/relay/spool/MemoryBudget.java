package org.dkimrelay.relay.spool;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of messages that all sessions of every front-end together may keep in memory: bodies
 * (one that does not fit goes to a spool file instead), header blocks, and milter packets larger
 * than an ordinary body chunk. Keeps the heap bounded whatever the number of peers, while ordinary
 * mail never touches the disk.
 */
public final class MemoryBudget {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  public MemoryBudget(long limit) {
    this.limit = limit;
  }

  /** Takes {@code bytes} if they fit; false (and nothing taken) if they do not. */
  public boolean take(long bytes) {
    if (used.addAndGet(bytes) <= limit) {
      return true;
    }
    used.addAndGet(-bytes);
    return false;
  }

  public void giveBack(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Bytes taken now, by messages being received or waiting to be sent. */
  public long used() {
    return used.get();
  }
}
