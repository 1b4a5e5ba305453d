package org.dkimrelay.relay.spool;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Rewrites every line ending to CRLF as bytes pass: bare LF and bare CR each become CRLF, CRLF
 * stays. Done once, where a message enters, so that the bytes hashed are the bytes sent, and so
 * that a bare LF can never end the DATA phase further down (the "SMTP smuggling" trick).
 */
final class CrlfNormalizer extends FilterOutputStream {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private boolean pendingCr;

  CrlfNormalizer(OutputStream out) {
    super(out);
  }

  @Override
  public void write(int b) throws IOException {
    if (pendingCr) {
      pendingCr = false;
      out.write(CR);
      out.write(LF);
      if (b == LF) {
        return; // that LF completed the CRLF just written
      }
    }
    if (b == CR) {
      pendingCr = true;
    } else if (b == LF) {
      out.write(CR);
      out.write(LF);
    } else {
      out.write(b);
    }
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    int runStart = offset;
    int end = offset + length;
    for (int i = offset; i < end; i++) {
      byte b = bytes[i];
      if ((b == CR || b == LF) || pendingCr) {
        out.write(bytes, runStart, i - runStart);
        write(b);
        runStart = i + 1;
      }
    }
    out.write(bytes, runStart, end - runStart);
  }

  /** Ends the input: a CR left waiting for its LF becomes CRLF. Does not close the target. */
  void finish() throws IOException {
    if (pendingCr) {
      pendingCr = false;
      out.write(CR);
      out.write(LF);
    }
  }

  @Override
  public void close() throws IOException {
    finish();
    super.close();
  }
}
