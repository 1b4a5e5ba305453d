package org.dkimrelay.relay.spool;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of message bodies that all sessions together may keep in memory; a body that does not
 * fit goes to a spool file instead. Keeps the heap bounded whatever the number of sessions, while
 * ordinary mail never touches the disk.
 */
public final class MemoryBudget {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  public MemoryBudget(long limit) {
    this.limit = limit;
  }

  /** Takes {@code bytes} if they fit; false (and nothing taken) if they do not. */
  boolean take(long bytes) {
    if (used.addAndGet(bytes) <= limit) {
      return true;
    }
    used.addAndGet(-bytes);
    return false;
  }

  void giveBack(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Bytes taken now, by bodies being received or waiting to be sent. */
  public long used() {
    return used.get();
  }
}
