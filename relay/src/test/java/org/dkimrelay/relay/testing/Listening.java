package org.dkimrelay.relay.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Waits for a server process the test started to accept TCP connections on 127.0.0.1. */
final class Listening {
  private Listening() {}

  /**
   * Returns once {@code port} accepts a connection; fails with {@code log}'s content if the process
   * exits first, or after 10 s, having stopped the process.
   */
  static void await(Process process, int port, Path log, String what) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(what + " exited: " + Files.readString(log));
      }
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        Thread.onSpinWait();
      }
    }
    process.destroy();
    throw new IllegalStateException(what + " did not listen on port " + port + " within 10 s");
  }
}
