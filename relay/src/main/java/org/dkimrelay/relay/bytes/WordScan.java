package org.dkimrelay.relay.bytes;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Byte-parallel tests on eight bytes at a time ("SIMD within a register"), for the passes every
 * message byte goes through: DATA decoding, line-end normalising, the body hash, dot-stuffing. A
 * word is eight bytes read as a little-endian long (byte i in bits 8i to 8i+7); each test sets the
 * top bit of every byte it holds for and no other bit, exactly: no carry crosses a byte, since only
 * the low seven bits are added.
 */
public final class WordScan {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;

  /** The top bit of each byte: where a test holds, and which bytes are over 127. */
  public static final long HIGH = 0x8080808080808080L;

  private static final long ONES = 0x0101010101010101L;

  private WordScan() {}

  /** The eight bytes from {@code offset} (which must leave eight in the array). */
  public static long word(byte[] bytes, int offset) {
    return (long) LONGS.get(bytes, offset);
  }

  /** Bytes equal to {@code value} (0 to 127). */
  public static long equal(long word, int value) {
    long zeroWhereEqual = word ^ (value * ONES);
    return ~(((zeroWhereEqual & LOW7) + LOW7) | zeroWhereEqual) & HIGH;
  }

  /** Bytes below {@code bound} (1 to 128); bytes over 127 never are. */
  public static long below(long word, int bound) {
    return ~(((word & LOW7) + (0x80 - bound) * ONES) | word) & HIGH;
  }

  /** The index of the byte a non-zero test result marks first, counted from the word's start. */
  public static int first(long marks) {
    return Long.numberOfTrailingZeros(marks) >>> 3;
  }

  /** The first index of {@code value} (0 to 127) in {@code [from, end)}, or {@code end}. */
  public static int indexOf(byte[] bytes, int from, int end, int value) {
    int i = from;
    for (; i + Long.BYTES <= end; i += Long.BYTES) {
      long marks = equal(word(bytes, i), value);
      if (marks != 0) {
        return i + first(marks);
      }
    }
    for (; i < end; i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    return end;
  }
}
