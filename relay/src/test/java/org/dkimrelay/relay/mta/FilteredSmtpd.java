package org.dkimrelay.relay.mta;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dkimrelay.relay.testing.RecordingUpstream;

/**
 * A running OpenSMTPD with {@code dkimrelay opensmtpd-filter} on its listener, relaying all mail to
 * a recording sink. Make the keys in {@link #keys()} first, then {@link #start}: the filter runs as
 * smtpd's unprivileged user, so the directory is given to that user before smtpd starts.
 */
final class FilteredSmtpd implements AutoCloseable {
  private final Path dir;
  private RecordingUpstream sink;
  private OpenSmtpdInstance smtpd;
  private int port;

  private FilteredSmtpd(Path dir) {
    this.dir = dir;
  }

  static FilteredSmtpd prepare() throws IOException {
    return new FilteredSmtpd(OpenSmtpdInstance.directory());
  }

  /** Where the filter's keys go. */
  Path keys() {
    return dir.resolve("keys");
  }

  /** Starts the sink and smtpd, the filter's JVM given {@code jvmOptions}. */
  FilteredSmtpd start(List<String> jvmOptions) throws Exception {
    Path relayConfig =
        Files.writeString(dir.resolve("dkimrelay.toml"), "[signing]\nkeys = \"" + keys() + "\"\n");
    OpenSmtpdInstance.chown("opensmtpd", dir);
    sink = RecordingUpstream.start();
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    smtpd = OpenSmtpdInstance.withFilter(dir, relayConfig, jvmOptions, port, sink.port());
    return this;
  }

  /** smtpd's SMTP port on 127.0.0.1. */
  int port() {
    return port;
  }

  RecordingUpstream sink() {
    return sink;
  }

  boolean alive() {
    return smtpd.alive();
  }

  /** What smtpd logged, the filter's stderr included. */
  String log() throws IOException {
    return smtpd.log();
  }

  @Override
  public void close() throws IOException {
    if (smtpd != null) {
      smtpd.close();
    }
    if (sink != null) {
      sink.close();
    }
    OpenSmtpdInstance.delete(dir);
  }
}
