package org.dkimrelay.relay.wire;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.dkimrelay.relay.bytes.WordScan;

/**
 * RFC 5321 §4.5.2: a line that starts with "." gets another "." before it; {@link #finish()} ends
 * the data with CRLF "." CRLF, adding a CRLF first if the content did not end with one. Input is
 * already CRLF-normalised, so a line start is exactly "after CRLF".
 */
public final class DotStuffingOutputStream extends FilterOutputStream {
  private boolean atLineStart = true;
  private int previous = -1;

  public DotStuffingOutputStream(OutputStream out) {
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
    int end = offset + length;
    int runStart = offset;
    int i = offset;
    while (i < end) {
      if (atLineStart) {
        atLineStart = false;
        if (bytes[i] == '.') {
          out.write(bytes, runStart, i - runStart);
          out.write('.');
          runStart = i;
        }
      }
      // From line start to line start: only an LF can end a line, so look for nothing else.
      int lf = WordScan.indexOf(bytes, i, end, '\n');
      if (lf == end) {
        break;
      }
      atLineStart = (lf > offset ? bytes[lf - 1] : previous) == '\r';
      i = lf + 1;
    }
    if (length > 0) {
      previous = bytes[end - 1];
    }
    out.write(bytes, runStart, end - runStart);
  }

  /** Writes the end-of-data marker; does not close the connection. */
  public void finish() throws IOException {
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
