package org.dkimrelay.relay.mta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.dkimrelay.relay.testing.ExternalTool;

/**
 * A throwaway Postfix: its own configuration, queue and log under one directory, listening only on
 * 127.0.0.1 high ports, relaying everything to a test sink. Chained to dkimrelay only by {@code
 * scripts/postfix-chain --apply}, exactly as an admin would.
 */
public final class PostfixInstance implements AutoCloseable {
  private final Path dir;
  private final Path config;

  private PostfixInstance(Path dir) {
    this.dir = dir;
    this.config = dir.resolve("conf");
  }

  /**
   * Writes the base configuration: {@code submitPort} stands for the submission service, mail for
   * anywhere goes to {@code [127.0.0.1]:sinkPort}; retries are quick so deferred mail comes back.
   */
  public static PostfixInstance create(int submitPort, int sinkPort) throws IOException {
    // The Postfix daemons run as user postfix and must reach the queue: not a 0700 test dir.
    Path dir =
        Files.createTempDirectory(
            Path.of("/tmp"),
            "dkimrelay-postfix-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    PostfixInstance instance = new PostfixInstance(dir);
    Files.createDirectories(instance.config);
    Files.createDirectories(dir.resolve("queue"));
    Path data = Files.createDirectories(dir.resolve("data"));
    run("chown", "postfix", data.toString());
    Files.writeString(
        instance.config.resolve("main.cf"),
        String.join(
            "\n",
            "compatibility_level = 3.6",
            "queue_directory = " + dir.resolve("queue"),
            "data_directory = " + data,
            "maillog_file = " + dir.resolve("maillog"),
            "maillog_file_prefixes = " + dir,
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "myhostname = mta.test",
            "myorigin = example.com",
            "mydestination =",
            "local_transport = error:no local delivery in this test",
            "relayhost = [127.0.0.1]:" + sinkPort,
            "mynetworks = 127.0.0.0/8",
            "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
            "queue_run_delay = 2s",
            "minimal_backoff_time = 2s",
            "maximal_backoff_time = 4s",
            ""));
    // Debian's stock master.cf without the port 25 listener and without chroot (no chroot jail
    // here), plus a loopback smtpd that plays the submission service.
    StringBuilder master = new StringBuilder();
    for (String line : Files.readAllLines(Path.of("/usr/share/postfix/master.cf.dist"))) {
      if (line.startsWith("#") || line.matches("smtp\\s+inet.*")) {
        continue;
      }
      String[] fields = line.split("\\s+");
      if (!line.startsWith(" ") && fields.length >= 8 && fields[4].equals("y")) {
        fields[4] = "n";
        line = String.join(" ", fields);
      }
      master.append(line).append('\n');
    }
    master.append("127.0.0.1:").append(submitPort).append(" inet n - n - - smtpd\n");
    Files.writeString(instance.config.resolve("master.cf"), master);
    return instance;
  }

  public Path config() {
    return config;
  }

  public void start() {
    run("postfix", "-c", config.toString(), "check");
    run("postfix", "-c", config.toString(), "start");
  }

  /** Asks every deferred message to be tried again now. */
  public void flush() {
    run("postqueue", "-c", config.toString(), "-f");
  }

  /** Messages in the queue (postqueue -j prints one JSON object per message). */
  public List<String> queue() {
    ExternalTool.Result result =
        ExternalTool.run(List.of("postqueue", "-c", config.toString(), "-j"));
    return result.out().lines().filter(line -> line.startsWith("{")).toList();
  }

  /** Sets main.cf parameters ({@code name=value}) and has a running Postfix reload them. */
  public void set(String... parameters) {
    List<String> command =
        new java.util.ArrayList<>(List.of("postconf", "-c", config.toString(), "-e"));
    command.addAll(List.of(parameters));
    run(command.toArray(String[]::new));
    if (ExternalTool.run(List.of("postfix", "-c", config.toString(), "status")).exit() == 0) {
      run("postfix", "-c", config.toString(), "reload");
    }
  }

  public String log() {
    try {
      return Files.exists(dir.resolve("maillog")) ? Files.readString(dir.resolve("maillog")) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    ExternalTool.run(List.of("postfix", "-c", config.toString(), "stop")); // the master we started
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  static ExternalTool.Result run(String... command) {
    ExternalTool.Result result = ExternalTool.run(List.of(command));
    if (result.exit() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + result);
    }
    return result;
  }
}
