package org.dkimrelay.relay.mta;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;

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

  /** The filter's configuration file. */
  Path config() {
    return dir.resolve("dkimrelay.toml");
  }

  /** The test's own directory (given to smtpd's user at start). */
  Path dir() {
    return dir;
  }

  /**
   * Starts the sink and smtpd, the filter's JVM given {@code jvmOptions}; DNS goes nowhere but to
   * 127.0.0.1 (see {@link RelayConfigFile#noResolver}).
   */
  FilteredSmtpd start(List<String> jvmOptions) throws Exception {
    return start(jvmOptions, "", RelayConfigFile.noResolver());
  }

  /**
   * The same with {@code signing} lines added to {@code [signing]} and {@code sections} after it
   * (which must include a {@code [dns]} resolver on 127.0.0.1).
   */
  FilteredSmtpd start(List<String> jvmOptions, String signing, String sections) throws Exception {
    Path relayConfig =
        Files.writeString(config(), "[signing]\nkeys = \"" + keys() + "\"\n" + signing + sections);
    ExternalTool.chown("opensmtpd", dir);
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

  /**
   * Runs a dkimrelay command as the filter's user (smtpd's unprivileged user), as an admin changes
   * the keys of a running filter: its output, once it succeeded.
   */
  String cliAsFilterUser(String... args) {
    List<String> command = new ArrayList<>(List.of("runuser", "-u", "opensmtpd", "--"));
    command.addAll(RelayProcess.command(dir.resolve("dkimrelay.jar"), List.of(), args));
    ExternalTool.Result run = ExternalTool.run(command);
    if (run.exit() != 0) {
      throw new AssertionError(String.join(" ", args) + " failed: " + run);
    }
    return run.out();
  }

  /** smtpd's process id: the same one from start to end unless smtpd was restarted. */
  long pid() {
    return smtpd.pid();
  }

  boolean alive() {
    return smtpd.alive();
  }

  /** What smtpd logged, the filter's stderr included. */
  String log() throws IOException {
    return smtpd.log();
  }

  /** Waits (bounded) until smtpd's log has a line matching {@code pattern}; returns that line. */
  String awaitLog(String pattern, Duration timeout) throws Exception {
    Pattern wanted = Pattern.compile(pattern);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<String> line = log().lines().filter(l -> wanted.matcher(l).find()).findFirst();
      if (line.isPresent()) {
        return line.get();
      }
      if (System.nanoTime() > deadline || !alive()) {
        throw new AssertionError("no line /" + pattern + "/ in smtpd's log:\n" + log());
      }
      Thread.sleep(200);
    }
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
