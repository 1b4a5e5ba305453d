package org.dkimrelay.relay.opensmtpd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.dkimrelay.relay.bytes.WordScan;

/**
 * smtpd's lines to the filter. smtpd-filters(7) lines end at LF only: a CR inside a data line is
 * the message's own byte (a reader that also ended lines at CR would cut the message and read the
 * rest as protocol). At most {@link #MAX_LINE} bytes of a line are kept, whatever the peer sends;
 * the rest of a longer line is read and dropped, and the line is marked cut.
 */
final class FilterInput {
  /** Far above smtpd's own limit for a line; only a broken peer sends more. */
  static final int MAX_LINE = 1024 * 1024;

  private static final int CHUNK = 64 * 1024;

  /** One line without its LF; {@code cut}: longer than {@link #MAX_LINE}, its end dropped. */
  record Line(String text, boolean cut) {}

  private final InputStream in;
  private final byte[] buffer = new byte[CHUNK];
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private int position;
  private int limit;

  FilterInput(InputStream in) {
    this.in = in;
  }

  /** The next whole line; empty at end of input (a last line without LF is not whole). */
  Optional<Line> next() throws IOException {
    line.reset();
    boolean cut = false;
    while (true) {
      if (position == limit) {
        int read = in.read(buffer);
        if (read < 0) {
          return Optional.empty();
        }
        position = 0;
        limit = read;
      }
      int found = WordScan.indexOf(buffer, position, limit, '\n');
      int lf = found == limit ? -1 : found;
      int end = lf < 0 ? limit : lf;
      if (lf >= 0 && line.size() == 0 && end - position <= MAX_LINE) {
        // the whole line is in the buffer: one copy, into its String (most lines)
        String whole = new String(buffer, position, end - position, StandardCharsets.ISO_8859_1);
        position = lf + 1;
        return Optional.of(new Line(whole, false));
      }
      int keep = Math.min(end - position, MAX_LINE - line.size());
      line.write(buffer, position, keep);
      cut |= keep < end - position;
      position = lf < 0 ? limit : lf + 1;
      if (lf >= 0) {
        return Optional.of(new Line(line.toString(StandardCharsets.ISO_8859_1), cut));
      }
    }
  }
}
