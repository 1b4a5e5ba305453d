package org.dkimrelay.relay.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server program a test starts (dnsmasq, smtp-sink): output to a log file, started when it
 * accepts TCP connections on 127.0.0.1, stopped by the PID it was started with.
 */
final class ServerProcess {
  private ServerProcess() {}

  /**
   * Starts {@code command} and returns once {@code port} accepts a connection; fails with the log's
   * content if the program exits first, or after 10 s, having stopped it.
   */
  static Process start(List<String> command, int port, Path log, String what) throws IOException {
    Files.createDirectories(log.getParent());
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(what + " exited: " + Files.readString(log));
      }
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        // A probe whose own port is the one probed connected to itself (TCP simultaneous open,
        // possible on loopback before the server binds) and blocks the server's bind: not ready.
        if (probe.getLocalPort() != port) {
          return process;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      pause(); // a busy loop of probes would also make a self-connect likely
    }
    stop(process);
    throw new IllegalStateException(what + " did not listen on port " + port + " within 10 s");
  }

  private static void pause() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM, then SIGKILL if it has not gone within 5 s. */
  static void stop(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
