package org.dkimrelay.relay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real DNS server for tests: dnsmasq (Debian dnsmasq-base) on 127.0.0.1 and a free port,
 * answering only the records given, forwarding nothing. Stopped by PID when closed.
 */
public final class Dnsmasq implements AutoCloseable {
  private final Process process;
  private final int port;

  private Dnsmasq(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts a server with TXT records: name → character-strings (each at most 255 bytes, as a zone
   * file would give them). It answers NXDOMAIN for other names under {@code zones} and REFUSED for
   * names elsewhere.
   */
  public static Dnsmasq withTxt(Map<String, List<String>> txt, List<String> zones, Path workDir) {
    List<String> lines = new ArrayList<>();
    txt.forEach((name, strings) -> lines.add(txtRecord(name, strings)));
    zones.forEach(zone -> lines.add("local=/" + zone + "/"));
    return start(lines, workDir);
  }

  /** A {@code txt-record=} line: dnsmasq reads quoted strings in its config file. */
  public static String txtRecord(String name, List<String> strings) {
    StringBuilder line = new StringBuilder("txt-record=").append(name);
    for (String string : strings) {
      line.append(",\"").append(string).append('"');
    }
    return line.toString();
  }

  /** Starts a server answering from dnsmasq.conf(5) lines only (txt-record, mx-host, ...). */
  public static Dnsmasq start(List<String> configLines, Path workDir) {
    return start(configLines, workDir, freeUdpPort());
  }

  /** The same on a given port: a test can replace a server by another on the same address. */
  public static Dnsmasq start(List<String> configLines, Path workDir, int port) {

    List<String> command =
        List.of(
            "/usr/sbin/dnsmasq",
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--conf-file=" + workDir.resolve("dnsmasq.conf"),
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--port=" + port,
            "--log-facility=-",
            "--pid-file=" + workDir.resolve("dnsmasq.pid"));
    try {
      Files.createDirectories(workDir);
      Files.writeString(workDir.resolve("dnsmasq.conf"), String.join("\n", configLines) + "\n");
      // dnsmasq also listens on TCP; a connection means it is serving
      return new Dnsmasq(
          ServerProcess.start(command, port, workDir.resolve("dnsmasq.log"), "dnsmasq"), port);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start dnsmasq: is dnsmasq-base installed? (scripts/test installs it)", e);
    }
  }

  /** {@code 127.0.0.1:PORT}, for {@code --resolver}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** A port free for UDP and for TCP on 127.0.0.1: dnsmasq listens on both. */
  public static int freeUdpPort() {
    while (true) {
      try (DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress());
          ServerSocket tcp =
              new ServerSocket(udp.getLocalPort(), 1, InetAddress.getLoopbackAddress())) {
        return tcp.getLocalPort();
      } catch (BindException taken) {
        // that number is in use for TCP: try another
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public void close() {
    ServerProcess.stop(process);
  }
}
