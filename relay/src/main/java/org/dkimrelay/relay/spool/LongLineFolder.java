package org.dkimrelay.relay.spool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.dkimrelay.relay.bytes.WordScan;

/**
 * Breaks lines longer than {@code limit} octets the way Postfix's SMTP client does on the way out
 * (smtp_line_length_limit, 998 by default): after {@code limit} octets a CRLF and one SPACE, then
 * at most {@code limit} - 1 more octets a line (in a header field that is a fold, RFC 5322 §2.2.3).
 * RFC 5322 §2.1.1 allows 998 octets a line; a signature over a longer line breaks when any MTA
 * after the signer breaks it, so dkimrelay signs (and, where it hands the message on itself, sends)
 * the message already broken. Idempotent: a message whose lines are all short passes byte for byte.
 * A CR counts as an octet of the line unless an LF follows it. Written to in chunks cut anywhere;
 * {@link #finish} after the last one.
 */
public final class LongLineFolder extends OutputStream {
  private static final byte[] FOLD = {'\r', '\n', ' '};

  private final OutputStream out;
  private final int limit;
  private int column; // octets in the current output line, an inserted SPACE included
  private boolean heldCr; // the last chunk ended in a CR: a line end if an LF comes next

  /** {@code limit} 0: no line is broken. */
  public LongLineFolder(OutputStream out, int limit) {
    this.out = out;
    this.limit = limit;
  }

  /**
   * {@code bytes} (a header block, say) with its long lines broken; the same array when none is
   * longer than {@code limit}.
   */
  public static byte[] breakLines(byte[] bytes, int limit) {
    if (limit == 0 || !hasLineLongerThan(bytes, limit)) {
      return bytes;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + bytes.length / 64);
    try {
      LongLineFolder folder = new LongLineFolder(out, limit);
      folder.write(bytes, 0, bytes.length);
      folder.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // into memory: cannot happen
    }
    return out.toByteArray();
  }

  private static boolean hasLineLongerThan(byte[] bytes, int limit) {
    int start = 0;
    while (start < bytes.length) {
      int lf = WordScan.indexOf(bytes, start, bytes.length, '\n');
      int end = lf > start && lf < bytes.length && bytes[lf - 1] == '\r' ? lf - 1 : lf;
      if (end - start > limit) {
        return true;
      }
      start = lf + 1;
    }
    return false;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (limit == 0) {
      out.write(bytes, offset, length);
      return;
    }
    int end = offset + length;
    int start = offset; // the first byte not yet written
    int i = offset;
    if (heldCr && length > 0) {
      heldCr = false;
      if (bytes[offset] == '\n') {
        out.write('\r'); // with the LF below: the line's end
      } else {
        contentByte('\r'); // a CR inside the line
      }
    }
    while (i < end) {
      // Ordinary text: every line up to the last LF within the room left is short; skip them all.
      int last = lastLf(bytes, i, Math.min(end, i + (limit - column) + 1));
      if (last >= 0) {
        column = 0;
        i = last + 1;
        continue;
      }
      int lf = WordScan.indexOf(bytes, i, end, '\n');
      int contentEnd = lf;
      if (lf < end && lf > i && bytes[lf - 1] == '\r') {
        contentEnd = lf - 1;
      } else if (lf == end && bytes[end - 1] == '\r') {
        contentEnd = end - 1; // an LF may follow in the next chunk
        heldCr = true;
      }
      start = content(bytes, i, contentEnd, start);
      if (lf < end) {
        column = 0;
      }
      i = lf + 1;
    }
    int stop = heldCr ? end - 1 : end;
    if (stop > start) {
      out.write(bytes, start, stop - start);
    }
  }

  /**
   * Counts the line octets {@code [from, to)}, breaking the line where it reaches the limit and
   * goes on; writes what comes before each break. Returns the first byte not yet written.
   */
  private int content(byte[] bytes, int from, int to, int start) throws IOException {
    int position = from;
    while (to - position > limit - column) {
      int fold = position + (limit - column);
      out.write(bytes, start, fold - start);
      out.write(FOLD);
      start = fold;
      position = fold;
      column = 1;
    }
    column += to - position;
    return start;
  }

  /** The last LF in {@code [from, to)}, or -1; eight bytes at a time from the end. */
  private static int lastLf(byte[] bytes, int from, int to) {
    int j = to - Long.BYTES;
    for (; j >= from; j -= Long.BYTES) {
      long marks = WordScan.equal(WordScan.word(bytes, j), '\n');
      if (marks != 0) {
        return j + Long.BYTES - 1 - (Long.numberOfLeadingZeros(marks) >>> 3);
      }
    }
    for (int k = j + Long.BYTES - 1; k >= from; k--) {
      if (bytes[k] == '\n') {
        return k;
      }
    }
    return -1;
  }

  private void contentByte(int b) throws IOException {
    if (column == limit) {
      out.write(FOLD);
      column = 1;
    }
    out.write(b);
    column++;
  }

  /** After the last chunk: a CR that ended the body is a line octet. */
  public void finish() throws IOException {
    if (heldCr) {
      heldCr = false;
      contentByte('\r');
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }
}
