package org.dkimrelay.relay.wire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.dkimrelay.relay.bytes.WordScan;

/**
 * The DATA content as the client meant it (RFC 5321 §4.5.2): ends at CRLF "." CRLF, and a "." that
 * starts a line is removed, the first line included. Only CRLF starts a line: "\n.\r\n" is content,
 * not the end, which is what defeats SMTP smuggling. Reads in chunks but never consumes past the
 * final CRLF (mark/reset on the session's buffered stream), so pipelined commands after it stay for
 * the command reader.
 */
public final class DataReader extends InputStream {
  private static final int CHUNK = 16 * 1024;

  private enum State {
    LINE_START,
    NORMAL,
    AFTER_CR,
    AFTER_DOT, // a line-start dot, dropped
    AFTER_DOT_CR // ".\r" at a line start: the end, if LF follows
  }

  private final InputStream in;
  private final byte[] chunk = new byte[CHUNK];
  private State state = State.LINE_START;
  private boolean ended;
  private int pendingOutput = -1; // the second byte of ".\rx" when the caller's buffer held one

  public DataReader(InputStream in) {
    if (!in.markSupported()) {
      throw new IllegalArgumentException("DATA needs a stream with mark/reset");
    }
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[2];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return ended ? -1 : 0;
    }
    int count = 0;
    while (count == 0 && !ended) {
      count = decodeChunk(buffer, offset, length); // 0 when the chunk was only a stuffing dot
    }
    return count == 0 ? -1 : count;
  }

  private int decodeChunk(byte[] buffer, int offset, int length) throws IOException {
    if (pendingOutput >= 0) {
      buffer[offset] = (byte) pendingOutput;
      pendingOutput = -1;
      return 1;
    }
    // One input byte can give two output bytes ('.' CR x at a line start gives CR x), so read at
    // most half the room, and at least one byte.
    int want = Math.max(1, Math.min(CHUNK, length / 2));
    in.mark(want);
    int read = in.read(chunk, 0, want);
    if (read < 0) {
      throw new EOFException("the client closed the connection before the end of DATA");
    }
    int out = offset;
    int limit = offset + length;
    for (int i = 0; i < read; i++) {
      if (state == State.NORMAL) {
        // The common case: copy in one go up to the next line that starts with a dot, whose CRLF
        // and dot go through the state machine. No other byte changes (only CRLF starts a line).
        int runEnd = lineStartDot(chunk, i, read);
        System.arraycopy(chunk, i, buffer, out, runEnd - i);
        out += runEnd - i;
        if (runEnd == read) {
          break;
        }
        i = runEnd; // the CR, through the state machine
      }
      out = step(chunk[i], buffer, out, limit);
      if (ended) {
        in.reset();
        in.skipNBytes(i + 1L); // consume exactly up to the end marker
        return out - offset;
      }
      if (out > limit) {
        throw new IllegalStateException("DATA decoding overran its buffer");
      }
    }
    return out - offset;
  }

  /**
   * The first CR in {@code [from, end)} that is followed by LF and ".", or that is too near the end
   * to tell; {@code end} if there is none.
   */
  private static int lineStartDot(byte[] bytes, int from, int end) {
    int i = from;
    for (; i + Long.BYTES + 1 < end; i += Long.BYTES) {
      long marks =
          WordScan.equal(WordScan.word(bytes, i), '\r')
              & WordScan.equal(WordScan.word(bytes, i + 1), '\n')
              & WordScan.equal(WordScan.word(bytes, i + 2), '.');
      if (marks != 0) {
        return i + WordScan.first(marks);
      }
    }
    for (; i < end; i++) {
      if (bytes[i] == '\r' && (i + 2 >= end || (bytes[i + 1] == '\n' && bytes[i + 2] == '.'))) {
        return i;
      }
    }
    return end;
  }

  /** One byte through the state machine: writes what it gives, returns the next output index. */
  private int step(byte b, byte[] buffer, int out, int limit) {
    switch (state) {
      case LINE_START -> {
        if (b == '.') {
          state = State.AFTER_DOT;
          return out;
        }
        buffer[out] = b;
        state = b == '\r' ? State.AFTER_CR : State.NORMAL;
        return out + 1;
      }
      case AFTER_DOT -> {
        if (b == '\r') {
          state = State.AFTER_DOT_CR;
          return out;
        }
        buffer[out] = b;
        state = State.NORMAL;
        return out + 1;
      }
      case AFTER_DOT_CR -> {
        if (b == '\n') {
          ended = true; // CRLF "." CRLF
          return out;
        }
        buffer[out++] = '\r';
        if (out < limit) {
          buffer[out++] = b;
        } else {
          pendingOutput = b & 0xFF; // only when the caller asked for one byte
        }
        state = b == '\r' ? State.AFTER_CR : State.NORMAL;
        return out;
      }
      case AFTER_CR -> {
        buffer[out] = b;
        state = b == '\n' ? State.LINE_START : b == '\r' ? State.AFTER_CR : State.NORMAL;
        return out + 1;
      }
      default -> { // NORMAL: here only with the CR that ended a run of line bytes
        buffer[out] = b;
        state = b == '\r' ? State.AFTER_CR : State.NORMAL;
        return out + 1;
      }
    }
  }

  /** Reads the rest of the content and throws it away, so the session stays in step. */
  public void drain() throws IOException {
    byte[] buffer = new byte[CHUNK];
    while (read(buffer, 0, buffer.length) >= 0) {
      // discard
    }
  }
}
