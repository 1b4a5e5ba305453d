package org.dkimrelay.relay.wire;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/** For benchmarks outside this package: the DATA content of a wire form, as the proxy reads it. */
public final class DataDecoding {
  private DataDecoding() {}

  public static InputStream of(byte[] wire) {
    return new DataReader(new BufferedInputStream(new ByteArrayInputStream(wire), 64 * 1024));
  }

  /** Decodes {@code wire} to its end marker and throws the content away; returns its length. */
  public static long drain(byte[] wire) throws IOException {
    InputStream in = of(wire);
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      total += n;
    }
    return total;
  }
}
