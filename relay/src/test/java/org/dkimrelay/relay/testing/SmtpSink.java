package org.dkimrelay.relay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Postfix's smtp-sink on 127.0.0.1 and a free port, for upstream behaviour from a real MTA's test
 * tool: its options inject 4xx/5xx replies, 421 and disconnects (man smtp-sink). Stopped by PID.
 */
public final class SmtpSink implements AutoCloseable {
  private final Process process;
  private final int port;

  private SmtpSink(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts {@code smtp-sink OPTIONS 127.0.0.1:PORT 64}, e.g. {@code start(dir, "-r", "RCPT")}. */
  public static SmtpSink start(Path workDir, String... options) {
    int port = freePort();
    List<String> command = new ArrayList<>(List.of("/usr/sbin/smtp-sink"));
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("-u", "nobody")); // smtp-sink refuses to run as root without -u
    }
    command.addAll(List.of(options));
    command.addAll(List.of("127.0.0.1:" + port, "64"));
    try {
      return new SmtpSink(
          ServerProcess.start(command, port, workDir.resolve("smtp-sink.log"), "smtp-sink"), port);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start smtp-sink: is postfix installed? (scripts/test installs it)", e);
    }
  }

  public int port() {
    return port;
  }

  /** Its process id, for benchmarks that read its CPU time. */
  public long pid() {
    return process.pid();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    ServerProcess.stop(process);
  }
}
