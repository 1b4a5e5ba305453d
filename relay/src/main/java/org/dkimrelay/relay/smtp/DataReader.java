package org.dkimrelay.relay.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The DATA content as the client meant it (RFC 5321 §4.5.2): ends at CRLF "." CRLF, and a "." that
 * starts a line is removed, the first line included. Only CRLF starts a line: "\n.\r\n" is content,
 * not the end, which is what defeats SMTP smuggling. Never reads past the final CRLF, so pipelined
 * commands after it stay for the command reader.
 */
final class DataReader extends InputStream {
  private final InputStream in;
  private boolean atLineStart = true;
  private int previous = -1;
  private boolean ended;
  private int pending = -1; // one byte read ahead and not yet returned

  DataReader(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    if (ended) {
      return -1;
    }
    int b = next();
    if (atLineStart && b == '.') {
      int after = next();
      if (after == '\r') {
        int last = next();
        if (last == '\n') {
          ended = true;
          return -1;
        }
        pending = last; // "." CR x: the dot was stuffing; CR is content
      }
      b = after; // the leading dot is dropped
    }
    atLineStart = previous == '\r' && b == '\n';
    previous = b;
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    int count = 0;
    while (count < length) {
      int b = read();
      if (b < 0) {
        return count == 0 ? -1 : count;
      }
      buffer[offset + count++] = (byte) b;
      if (in.available() == 0 && pending < 0) {
        break; // give what we have rather than block for more
      }
    }
    return count;
  }

  /** Reads the rest of the content and throws it away, so the session stays in step. */
  void drain() throws IOException {
    byte[] buffer = new byte[8192];
    while (read(buffer, 0, buffer.length) >= 0) {
      // discard
    }
  }

  private int next() throws IOException {
    int b;
    if (pending >= 0) {
      b = pending;
      pending = -1;
    } else {
      b = in.read();
    }
    if (b < 0) {
      throw new EOFException("the client closed the connection before the end of DATA");
    }
    return b;
  }
}
