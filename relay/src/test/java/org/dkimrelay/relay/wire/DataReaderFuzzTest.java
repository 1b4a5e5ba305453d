package org.dkimrelay.relay.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target: the DATA decoder gives exactly what a plain byte-by-byte reading of RFC 5321 §4.5.2
 * gives (dot-unstuffing, the end at the first CRLF "." CRLF at a line start, only CRLF starting a
 * line), reports the end of the stream otherwise, and never consumes past the end marker: what
 * follows it (pipelined commands) is still in the stream. Small buffers on both sides make every
 * state meet a chunk boundary.
 */
class DataReaderFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void dataPhase(byte[] input) throws IOException {
    decodeAndCheck(input, 13, 7);
    decodeAndCheck(input, 8192, 4096); // long reads: eight bytes at a time
  }

  /** Long lines with a few line ends and dots, read with small and large buffers. */
  @Test
  void randomDataAgainstTheReference() throws IOException {
    Random random = new Random(4552);
    String ordinary = "abcdefgh";
    String special = "\r\n.";
    for (int round = 0; round < 20_000; round++) {
      byte[] input = new byte[random.nextInt(120)];
      for (int i = 0; i < input.length; i++) {
        input[i] =
            (byte)
                (random.nextInt(3) == 0
                    ? special.charAt(random.nextInt(special.length()))
                    : ordinary.charAt(random.nextInt(ordinary.length())));
      }
      if (random.nextBoolean()) {
        byte[] ended = Arrays.copyOf(input, input.length + 11);
        System.arraycopy(
            "\r\n.\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII), 0, ended, input.length, 11);
        input = ended;
      }
      decodeAndCheck(input, 13, 7);
      decodeAndCheck(input, 8192, 4096);
      decodeAndCheck(input, 8192, 21);
    }
  }

  private static void decodeAndCheck(byte[] input, int streamBuffer, int readBuffer)
      throws IOException {
    InputStream wire = new BufferedInputStream(new ByteArrayInputStream(input), streamBuffer);
    DataReader reader = new DataReader(wire);
    ByteArrayOutputStream decoded = new ByteArrayOutputStream();
    byte[] buffer = new byte[readBuffer];
    boolean ended = true;
    try {
      for (int n = reader.read(buffer, 0, readBuffer);
          n >= 0;
          n = reader.read(buffer, 0, readBuffer)) {
        decoded.write(buffer, 0, n);
      }
    } catch (IOException endOfStream) {
      ended = false; // no end marker before the end of the input
    }
    Reference expected = Reference.decode(input);
    check(ended == expected.ended(), "end marker found: " + ended + ", expected " + !ended);
    if (ended) {
      check(Arrays.equals(decoded.toByteArray(), expected.content()), "content differs");
      byte[] rest = wire.readAllBytes();
      check(
          Arrays.equals(rest, Arrays.copyOfRange(input, expected.consumed(), input.length)),
          "consumed past the end marker, or not up to it");
    }
  }

  private static void check(boolean holds, String what) {
    if (!holds) {
      throw new AssertionError(what);
    }
  }

  /** RFC 5321 §4.5.2 read one byte at a time, as the test's oracle. */
  private record Reference(boolean ended, byte[] content, int consumed) {
    static Reference decode(byte[] in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      boolean lineStart = true;
      int i = 0;
      while (i < in.length) {
        if (lineStart && in[i] == '.') {
          if (i + 2 < in.length && in[i + 1] == '\r' && in[i + 2] == '\n') {
            return new Reference(true, out.toByteArray(), i + 3);
          }
          i++; // a stuffed dot: dropped
          lineStart = false;
          continue;
        }
        out.write(in[i]);
        lineStart = in[i] == '\n' && i > 0 && in[i - 1] == '\r';
        i++;
      }
      return new Reference(false, out.toByteArray(), in.length);
    }
  }
}
