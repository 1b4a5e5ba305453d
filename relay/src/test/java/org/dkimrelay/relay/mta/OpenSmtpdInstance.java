package org.dkimrelay.relay.mta;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RelayProcess;

/**
 * A running OpenSMTPD (Debian's binary, extracted by scripts/test) in the foreground with its own
 * configuration. Its queue and control socket are compiled in, so one runs at a time. Stopped by
 * the PID this class started.
 */
public final class OpenSmtpdInstance implements AutoCloseable {
  private final Process process;
  private final Path log;

  private OpenSmtpdInstance(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static String binary() {
    String path = System.getenv("DKIMRELAY_OPENSMTPD");
    if (path == null || !Files.isExecutable(Path.of(path))) {
      throw new AssertionError(
          "OpenSMTPD's smtpd is not extracted: run scripts/test, which extracts it");
    }
    return path;
  }

  /**
   * smtpd on 127.0.0.1:{@code port} with {@code dkimrelay opensmtpd-filter --config relayConfig}
   * (its JVM given {@code jvmOptions}) on the listener and on the local socket (sendmail), relaying
   * all mail to 127.0.0.1:{@code sinkPort}; its configuration and log in {@code dir}.
   */
  public static OpenSmtpdInstance withFilter(
      Path dir, Path relayConfig, List<String> jvmOptions, int port, int sinkPort)
      throws Exception {
    String filter =
        String.join(
            " ",
            RelayProcess.command(
                RelayProcess.copyJar(dir),
                jvmOptions,
                "opensmtpd-filter",
                "--config",
                relayConfig.toString()));
    Path config =
        Files.writeString(
            dir.resolve("smtpd.conf"),
            String.join(
                "\n",
                "filter \"dkim\" proc-exec \"" + filter + "\"",
                "listen on 127.0.0.1 port " + port + " filter \"dkim\"",
                "listen on socket filter \"dkim\"", // sendmail(8), as conf/opensmtpd/filter.conf
                "action \"out\" relay host smtp://127.0.0.1:" + sinkPort,
                "match from any for any action \"out\"",
                ""));
    return start(config, port, dir.resolve("smtpd.log"));
  }

  /**
   * Hands {@code message} to this machine's running smtpd as local programs do: its sendmail(8),
   * which writes to smtpd's local socket.
   */
  public static ExternalTool.Result sendmail(String from, String to, byte[] message) {
    String sendmail = Path.of(binary()).resolveSibling("sendmail").toString();
    return ExternalTool.run(message, List.of(sendmail, "-f", from, to));
  }

  /** Deletes {@code dir} and all below it (a test's {@link #directory()}). */
  public static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** smtpd's queue, compiled into the binary: one for every instance on the machine. */
  public static final Path QUEUE = Path.of("/var/spool/smtpd/queue");

  /** The files in smtpd's queue: none once every message it accepted has left. */
  public static long queuedFiles() throws IOException {
    if (!Files.isDirectory(QUEUE)) {
      return 0;
    }
    try (Stream<Path> left = Files.walk(QUEUE)) {
      return left.filter(Files::isRegularFile).count();
    }
  }

  /** Starts {@code smtpd -d -f config} and returns once it greets on {@code port} (bounded). */
  public static OpenSmtpdInstance start(Path config, int port, Path log) throws Exception {
    // The queue is compiled in and shared: what an interrupted run left there would be delivered
    // into this run's sink, unsigned or twice. Say so rather than measure or test the wrong mail.
    long files = queuedFiles();
    if (files > 0) {
      throw new AssertionError(
          QUEUE
              + " holds "
              + files
              + " file(s) an interrupted run left behind; they would be"
              + " delivered into this run's sink. Remove them (rm -r "
              + QUEUE
              + "/*) and run again.");
    }
    Process process =
        new ProcessBuilder(binary(), "-d", "-f", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    OpenSmtpdInstance instance = new OpenSmtpdInstance(process, log);
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        instance.close();
        throw new AssertionError("smtpd did not start: " + Files.readString(log));
      }
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
        // the greeting waits until every filter has registered: then mail can flow
        socket.setSoTimeout(60_000);
        if (socket.getInputStream().read() == '2') {
          return instance;
        }
      } catch (IOException notYet) {
        Thread.sleep(100); // polling an outside process's port
      }
    }
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroy(); // SIGTERM: smtpd closes the filter's stdin and the filter exits
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** A 0755 directory under /tmp: smtpd's unprivileged processes and the filter must reach it. */
  public static Path directory() throws IOException {
    return Files.createTempDirectory(
        Path.of("/tmp"),
        "dkimrelay-opensmtpd-",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
  }
}
