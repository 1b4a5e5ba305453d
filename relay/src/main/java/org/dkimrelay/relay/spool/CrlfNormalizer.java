package org.dkimrelay.relay.spool;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.dkimrelay.relay.bytes.WordScan;

/**
 * Rewrites every line ending to CRLF as bytes pass: bare LF and bare CR each become CRLF, CRLF
 * stays. Done once, where a message enters, so that the bytes hashed are the bytes sent, and so
 * that a bare LF can never end the DATA phase further down (the "SMTP smuggling" trick). It also
 * notes whether any byte is over 127 (the message then needs 8BITMIME), in the same look at each
 * byte: one comparison tells a byte that is neither a line end nor 8-bit.
 */
final class CrlfNormalizer extends FilterOutputStream {
  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte[] CRLF = {CR, LF};
  private boolean pendingCr;
  private boolean eightBit;

  CrlfNormalizer(OutputStream out) {
    super(out);
  }

  /** True once any byte over 127 went past. */
  boolean eightBit() {
    return eightBit;
  }

  @Override
  public void write(int b) throws IOException {
    eightBit |= (byte) b < 0;
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
    int end = offset + length;
    int i = offset;
    if (pendingCr && i < end) { // the last buffer ended in CR
      pendingCr = false;
      out.write(CRLF, 0, 2);
      if (bytes[i] == LF) {
        i++;
      }
    }
    // CRLF pairs stay in the run that is copied as it is; only bare CR and LF are rewritten.
    int runStart = i;
    long high = 0;
    while (i < end) {
      if (i + Long.BYTES <= end) { // eight bytes at a time up to a CR or LF
        long word = WordScan.word(bytes, i);
        long lineEnds = WordScan.equal(word, CR) | WordScan.equal(word, LF);
        if (lineEnds == 0) {
          high |= word;
          i += Long.BYTES;
          continue;
        }
        high |= word & ((lineEnds & -lineEnds) - 1); // the bytes before the first line end
        i += WordScan.first(lineEnds);
      }
      byte b = bytes[i];
      if (b
          > CR) { // all of printable ASCII; bytes over 127 are negative and go on to the next test
        i++;
        continue;
      }
      if (b < 0) {
        eightBit = true;
        i++;
        continue;
      }
      if (b == CR) {
        if (i + 1 == end) {
          out.write(bytes, runStart, i - runStart);
          pendingCr = true; // is the next byte its LF?
          break;
        }
        if (bytes[i + 1] == LF) {
          i += 2;
          continue;
        }
      }
      if (b == CR || b == LF) {
        out.write(bytes, runStart, i - runStart);
        out.write(CRLF, 0, 2);
        runStart = i + 1;
      }
      i++;
    }
    if (!pendingCr) {
      out.write(bytes, runStart, end - runStart);
    }
    eightBit |= (high & WordScan.HIGH) != 0;
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
