package org.dkimrelay.relay.bytes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Each eight-byte test against the same test made on one byte, for every byte in every lane. */
class WordScanTest {

  private static long marks(byte[] bytes, java.util.function.IntPredicate holds) {
    long marks = 0;
    for (int lane = 0; lane < Long.BYTES; lane++) {
      if (holds.test(bytes[lane] & 0xFF)) {
        marks |= 0x80L << (8 * lane);
      }
    }
    return marks;
  }

  @Test
  void everyByteValueInEveryLaneAmongRandomNeighbours() {
    Random random = new Random(5321);
    byte[] bytes = new byte[Long.BYTES];
    for (int value = 0; value < 256; value++) {
      for (int lane = 0; lane < Long.BYTES; lane++) {
        for (int round = 0; round < 20; round++) {
          random.nextBytes(bytes);
          bytes[lane] = (byte) value;
          long word = WordScan.word(bytes, 0);
          for (int probe : new int[] {0, '\t', '\n', '\r', ' ', '.', 127}) {
            assertThat(WordScan.equal(word, probe)).isEqualTo(marks(bytes, b -> b == probe));
          }
          for (int bound : new int[] {1, '\n', '\r' + 1, '!', 128}) {
            assertThat(WordScan.below(word, bound)).isEqualTo(marks(bytes, b -> b < bound));
          }
        }
      }
    }
  }

  @Test
  void indexOfFindsTheFirstOccurrenceOrTheEnd() {
    Random random = new Random(6376);
    for (int round = 0; round < 20_000; round++) {
      byte[] bytes = new byte[random.nextInt(40)];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) "ab\r\n\u00e9".charAt(random.nextInt(5));
      }
      int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
      int end = from + random.nextInt(bytes.length - from + 1);
      int expected = from;
      while (expected < end && bytes[expected] != '\r') {
        expected++;
      }
      assertThat(WordScan.indexOf(bytes, from, end, '\r')).isEqualTo(expected);
    }
  }
}
