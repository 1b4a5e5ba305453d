package org.dkimrelay.relay.dkim;

import static org.dkimrelay.relay.bytes.WordScan.below;
import static org.dkimrelay.relay.bytes.WordScan.equal;

import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import org.dkimrelay.relay.bytes.WordScan;

/**
 * Hashes a body as it streams past (RFC 6376 §3.7 {@code bh=}): canonicalisation and SHA-256 in one
 * pass, runs of ordinary bytes going to the digest straight from the caller's buffer. One hash
 * serves every signature of a message: the body canonicalisation and hash are the same for RSA and
 * Ed25519.
 *
 * <p>Lines end at CRLF (RFC 5322 §2.1); a bare CR or LF is an ordinary byte, as dkimpy and
 * Mail::DKIM take it. Simple (RFC 6376 §3.4.3): empty lines at the end are ignored and an empty
 * body is one CRLF. Relaxed (§3.4.4): white space at the end of a line is ignored, a run of white
 * space inside one is a single SP, empty lines at the end are ignored, and an empty body stays
 * empty. Either way a last line without its CRLF gets one. (This replaced jDKIM's canonicalisers,
 * which hashed an empty relaxed body as CRLF and dropped white space before a CR that ends no line;
 * the tests still compare the two.)
 */
public final class BodyHasher extends OutputStream {
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] SP = {' '};

  private final boolean relaxed;
  private final MessageDigest digest;
  // Canonical bytes on their way to the digest in blocks: a digest update per line costs more than
  // hashing the line.
  private final byte[] pending = new byte[16 * 1024];
  private int pendingLength;
  private boolean pendingCr; // a CR whose LF may be the next byte
  private boolean pendingSpace; // relaxed: white space inside the line so far, not yet hashed
  private boolean lineHasContent;
  // Empty lines since the last line with content: hashed only if another line with content follows.
  private long emptyLines;
  private boolean hashedAnything;
  private String result;

  public BodyHasher(Canonicalization canonicalization) {
    this.relaxed = canonicalization == Canonicalization.RELAXED;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end) {
      byte b = bytes[i];
      if (pendingCr) {
        pendingCr = false;
        if (b == '\n') {
          endLine();
          i++;
          continue;
        }
        content(CRLF, 0, 1); // a bare CR is content; b is looked at below
      }
      if (b == '\r') {
        pendingCr = true;
        i++;
      } else if (relaxed && (b == ' ' || b == '\t')) {
        pendingSpace = true;
        i++;
      } else {
        int run = ordinaryRun(bytes, i + 1, end);
        content(bytes, i, run - i);
        i = run;
      }
    }
  }

  /**
   * Where the bytes that are hashed as they are end, from {@code from}. They run on past single
   * spaces between words and past line ends between two lines with content (CRLF then a byte above
   * SP, relaxed; CRLF then anything but CR, simple), since those are hashed as they stand; they
   * stop at any other white space or CR. Eight bytes at a time while ten are left (a word and the
   * two bytes after its last); byte by byte near the end of the buffer and at each byte the
   * eight-byte test stops at.
   */
  private int ordinaryRun(byte[] bytes, int from, int end) {
    int run = from;
    while (run < end) {
      if (run + Long.BYTES + 1 < end) {
        long w0 = WordScan.word(bytes, run);
        if (below(w0, '!') == 0) { // eight bytes of words: nothing to decide
          run += Long.BYTES;
          continue;
        }
        long w1 = WordScan.word(bytes, run + 1);
        long w2 = WordScan.word(bytes, run + 2);
        long lineGoesOn = relaxed ? ~below(w2, '!') : ~equal(w2, '\r');
        long crContinued = equal(w0, '\r') & equal(w1, '\n') & lineGoesOn;
        long stop =
            relaxed
                ? below(w0, '!')
                    & ~(equal(w0, ' ') & ~below(w1, '!'))
                    & ~crContinued
                    & ~equal(w0, '\n') // a bare LF is content; a CR decides for its LF
                : equal(w0, '\r') & ~crContinued;
        if (stop == 0) {
          run += Long.BYTES;
          continue;
        }
        run += WordScan.first(stop);
      }
      byte c = bytes[run];
      if ((c & 0xFF) > ' ') { // most bytes: neither white space nor a line end
        run++;
      } else if (c == ' ' && run + 1 < end && (bytes[run + 1] & 0xFF) > ' ') {
        run += 2; // one SP between two words stays as it is, relaxed too
      } else if (c == '\r'
          && run + 2 < end
          && bytes[run + 1] == '\n'
          && (relaxed ? (bytes[run + 2] & 0xFF) > ' ' : bytes[run + 2] != '\r')) {
        run += 3; // CRLF between two lines with content: hashed as it is
      } else if (!special(c)) {
        run++;
      } else {
        break;
      }
    }
    return run;
  }

  private boolean special(byte b) {
    return b == '\r' || (relaxed && (b == ' ' || b == '\t'));
  }

  /** Bytes of a line: first the empty lines and the white space they follow. */
  private void content(byte[] bytes, int offset, int length) {
    for (; emptyLines > 0; emptyLines--) {
      hash(CRLF, 0, 2);
    }
    if (pendingSpace) {
      hash(SP, 0, 1);
      pendingSpace = false;
    }
    hash(bytes, offset, length);
    lineHasContent = true;
    hashedAnything = true;
  }

  private void hash(byte[] bytes, int offset, int length) {
    if (pendingLength + length > pending.length) {
      digest.update(pending, 0, pendingLength);
      pendingLength = 0;
      if (length > pending.length) {
        digest.update(bytes, offset, length);
        return;
      }
    }
    System.arraycopy(bytes, offset, pending, pendingLength, length);
    pendingLength += length;
  }

  private void endLine() {
    pendingSpace = false; // white space at the end of a line is ignored
    if (lineHasContent) {
      hash(CRLF, 0, 2);
      lineHasContent = false;
    } else {
      emptyLines++;
    }
  }

  /** Ends the body and returns its hash, base64 as in {@code bh=}. */
  public String finish() {
    if (result == null) {
      if (pendingCr) {
        pendingCr = false;
        content(CRLF, 0, 1);
      }
      pendingSpace = false;
      if (lineHasContent || (!relaxed && !hashedAnything)) {
        hash(CRLF, 0, 2); // the last line's missing CRLF, or simple's empty body
      }
      digest.update(pending, 0, pendingLength);
      result = Base64.getEncoder().encodeToString(digest.digest());
    }
    return result;
  }

  @Override
  public void close() {
    finish();
  }
}
