package org.dkimrelay.relay.spool;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A message's header block in memory: at most {@code limit} bytes, and each byte only while the
 * budget shared by all messages has room for it, so no number of peers sending headers at once can
 * fill the heap. What does not fit is counted, not kept; {@link #overflow()} says which limit
 * stopped it. Closing gives the memory back. Not thread-safe.
 */
public final class HeaderBuffer implements Closeable {
  /** Why bytes were left out. */
  public enum Overflow {
    NONE,
    /** The header block is larger than the limit for one message: a malformed message. */
    OVER_LIMIT,
    /** All messages in progress together hold the budget: a temporary condition. */
    OVER_BUDGET
  }

  private final MemoryBudget budget;
  private final int limit;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private Overflow overflow = Overflow.NONE;

  public HeaderBuffer(MemoryBudget budget, int limit) {
    this.budget = budget;
    this.limit = limit;
  }

  /** Keeps {@code length} bytes if they fit within the limit and the budget. */
  public void write(byte[] data, int offset, int length) {
    if (overflow != Overflow.NONE) {
      return;
    }
    if (bytes.size() + (long) length > limit) {
      overflow = Overflow.OVER_LIMIT;
    } else if (!budget.take(length)) {
      overflow = Overflow.OVER_BUDGET;
    } else {
      bytes.write(data, offset, length);
    }
  }

  /** Bytes arrived that could not even be read into memory: the budget was full. */
  public void lostForMemory() {
    if (overflow == Overflow.NONE) {
      overflow = Overflow.OVER_BUDGET;
    }
  }

  public void write(byte[] data) {
    write(data, 0, data.length);
  }

  public Overflow overflow() {
    return overflow;
  }

  public int limit() {
    return limit;
  }

  public int size() {
    return bytes.size();
  }

  public byte[] toByteArray() {
    return bytes.toByteArray();
  }

  void writeTo(OutputStream out) throws IOException {
    bytes.writeTo(out);
  }

  /** Empties the buffer for the next message, giving its bytes back to the budget. */
  public void reset() {
    budget.giveBack(bytes.size());
    bytes.reset();
    overflow = Overflow.NONE;
  }

  @Override
  public void close() {
    reset();
  }
}
