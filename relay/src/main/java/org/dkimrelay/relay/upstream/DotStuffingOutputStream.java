package org.dkimrelay.relay.upstream;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * RFC 5321 §4.5.2: a line that starts with "." gets another "." before it; {@link #finish()} ends
 * the data with CRLF "." CRLF, adding a CRLF first if the content did not end with one. Input is
 * already CRLF-normalised, so a line start is exactly "after CRLF".
 */
final class DotStuffingOutputStream extends FilterOutputStream {
  private boolean atLineStart = true;
  private int previous = -1;

  DotStuffingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(int b) throws IOException {
    if (atLineStart && b == '.') {
      out.write('.');
    }
    out.write(b);
    atLineStart = previous == '\r' && b == '\n';
    previous = b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    int runStart = offset;
    int end = offset + length;
    boolean lineStart = atLineStart; // in locals: this loop sees every byte of every message
    int last = previous;
    for (int i = offset; i < end; i++) {
      byte b = bytes[i];
      if (lineStart && b == '.') {
        out.write(bytes, runStart, i - runStart);
        out.write('.');
        runStart = i;
      }
      lineStart = last == '\r' && b == '\n';
      last = b;
    }
    atLineStart = lineStart;
    previous = last;
    out.write(bytes, runStart, end - runStart);
  }

  /** Writes the end-of-data marker; does not close the connection. */
  void finish() throws IOException {
    if (!atLineStart) {
      out.write('\r');
      out.write('\n');
    }
    out.write('.');
    out.write('\r');
    out.write('\n');
    out.flush();
  }
}
