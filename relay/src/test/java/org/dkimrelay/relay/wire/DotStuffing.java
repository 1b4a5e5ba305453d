package org.dkimrelay.relay.wire;

import java.io.IOException;
import java.io.OutputStream;

/** For benchmarks outside this package: content dot-stuffed as it is sent upstream. */
public final class DotStuffing {
  private DotStuffing() {}

  public static void write(byte[] content, OutputStream out) throws IOException {
    DotStuffingOutputStream stuffing = new DotStuffingOutputStream(out);
    for (int at = 0; at < content.length; at += 64 * 1024) {
      stuffing.write(content, at, Math.min(64 * 1024, content.length - at));
    }
    stuffing.finish();
  }
}
