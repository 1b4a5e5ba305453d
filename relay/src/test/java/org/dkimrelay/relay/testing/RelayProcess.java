package org.dkimrelay.relay.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.config.ConfigException;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.dkim.Signatures;

/**
 * {@code dkimrelay run} as users start it: the shaded jar in its own JVM. Started and stopped by
 * the PID this class started, nothing else.
 */
public final class RelayProcess implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("dkimrelay (?:listening on [0-9.]+:(\\d+)|ready)");
  private static final Pattern MILTER =
      Pattern.compile("dkimrelay milter listening on inet:[0-9.]+:(\\d+)");
  private static final Pattern RECORD = Pattern.compile("^\\s+(\\S+)\\. 3600 IN TXT (.*)$");

  private final Process process;
  private final int port;
  private final int milterPort;
  private final Map<String, String> records;
  private final List<String> output;
  private final List<String> later = new ArrayList<>(); // printed after "listening"; guarded
  private boolean ended; // guarded by later
  private int awaited; // lines of later already passed by awaitLine

  private RelayProcess(
      Process process,
      int port,
      int milterPort,
      Map<String, String> records,
      List<String> output,
      BufferedReader stdout) {
    this.process = process;
    this.port = port;
    this.milterPort = milterPort;
    this.records = records;
    this.output = output;
    Thread reader = new Thread(() -> collect(stdout), "relay-stdout-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Keeps reading what the relay prints, so it never blocks on a full pipe and a wait can end. */
  private void collect(BufferedReader stdout) {
    try {
      for (String line = stdout.readLine(); line != null; line = stdout.readLine()) {
        synchronized (later) {
          later.add(line);
          later.notifyAll();
        }
      }
    } catch (IOException e) {
      // the relay is gone
    } finally {
      synchronized (later) {
        ended = true;
        later.notifyAll();
      }
    }
  }

  /** The java command for the jar, with {@code jvmOptions} and then the CLI arguments. */
  public static List<String> command(List<String> jvmOptions, String... args) {
    return command(jar(), jvmOptions, args);
  }

  /**
   * The same, with the jar at {@code jar} (a copy that another user can read). A {@code
   * -Ddkimrelay.crypto-provider} given to the tests (the JDK-fallback run of the interop tests)
   * goes to the relay too, unless {@code jvmOptions} choose one.
   */
  public static List<String> command(Path jar, List<String> jvmOptions, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String provider = System.getProperty(Signatures.PROPERTY);
    if (provider != null
        && jvmOptions.stream().noneMatch(option -> option.startsWith("-D" + Signatures.PROPERTY))) {
      command.add("-D" + Signatures.PROPERTY + "=" + provider);
    }
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * Runs {@code keygen} of the jar as users do; returns the TXT record's value (the strings of its
   * zone form joined), for the outside verifiers.
   */
  public static String keygen(Path keys, String domain, String selector, String algorithm) {
    ExternalTool.Result run =
        ExternalTool.run(
            command(
                List.of(),
                "keygen",
                domain,
                "--selector",
                selector,
                "--algorithm",
                algorithm,
                "--keys",
                keys.toString()));
    if (run.exit() != 0) {
      throw new AssertionError("keygen failed: " + run);
    }
    return txtValue(run.out());
  }

  /** The value of the first zone-file TXT line in {@code output} (its strings joined). */
  public static String txtValue(String output) {
    String zone =
        output.lines().filter(line -> line.contains(" IN TXT ")).findFirst().orElseThrow();
    return zone.substring(zone.indexOf(" IN TXT ") + 8).replace("\" \"", "").replace("\"", "");
  }

  /** The jar the build made. */
  public static Path jar() {
    return Path.of("target", "dkimrelay.jar").toAbsolutePath();
  }

  /**
   * A copy of the jar in {@code dir}, for a relay run as another user (smtpd's, or an unprivileged
   * one), who may not be able to reach the build directory (a checkout under a 0700 directory).
   */
  public static Path copyJar(Path dir) throws IOException {
    Path copy = dir.resolve("dkimrelay.jar");
    Files.copy(jar(), copy, StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
    return copy;
  }

  /**
   * Starts the relay and returns once it prints that it is listening; stderr goes to {@code log}.
   */
  public static RelayProcess start(Path log, List<String> jvmOptions, String... args)
      throws IOException {
    return startUnder(List.of(), log, jvmOptions, args);
  }

  /** As {@link #start}, run by {@code wrapper} (for example {@code prlimit} with its options). */
  public static RelayProcess startUnder(
      List<String> wrapper, Path log, List<String> jvmOptions, String... args) throws IOException {
    refuseTheSystemResolver(args);
    List<String> command = new ArrayList<>(wrapper);
    command.addAll(command(jvmOptions, args));
    return start(command, log, true);
  }

  /**
   * Starts {@code command} (an installed {@code dkimrelay run}, run as a unit would run it) and
   * returns once it prints that it is listening; its configuration must name a resolver on
   * 127.0.0.1.
   */
  public static RelayProcess startCommand(List<String> command, Path log) throws IOException {
    return start(command, log, false); // its JVM options are the command's own
  }

  private static RelayProcess start(List<String> command, Path log, boolean ownJvm)
      throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new ArrayList<>();
    Map<String, String> records = new HashMap<>();
    int milterPort = -1;
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      lines.add(line);
      Matcher record = RECORD.matcher(line);
      if (record.matches()) {
        records.put(record.group(1), record.group(2).replace("\" \"", "").replace("\"", ""));
      }
      Matcher milter = MILTER.matcher(line);
      if (milter.find()) {
        milterPort = Integer.parseInt(milter.group(1));
      }
      Matcher listening = LISTENING.matcher(line);
      if (listening.find()) {
        if (ownJvm) {
          try {
            assertSigningWithTheProviderAskedFor(lines);
          } catch (AssertionError e) {
            process.destroyForcibly(); // not left listening for the tests after this one
            throw e;
          }
        }
        int port = listening.group(1) != null ? Integer.parseInt(listening.group(1)) : -1;
        return new RelayProcess(process, port, milterPort, records, lines, out);
      }
    }
    throw new AssertionError(
        "the relay exited before listening: " + lines + "\n" + Files.readString(log));
  }

  /** The relay says which provider signs: the one the tests asked for, when they asked. */
  private static void assertSigningWithTheProviderAskedFor(List<String> lines) {
    String asked = System.getProperty(Signatures.PROPERTY);
    if (asked == null) {
      return;
    }
    String expected = asked.equals("jdk") ? "signing with the JDK" : "signing with AWS-LC";
    if (lines.stream().noneMatch(line -> line.startsWith(expected))) {
      throw new AssertionError(
          "-D" + Signatures.PROPERTY + "=" + asked + " but the relay printed " + lines);
    }
  }

  /**
   * Tests and benchmarks talk to 127.0.0.1 only, DNS included: a relay whose configuration leaves
   * {@code dns.resolver = "system"} (the default) would ask the machine's resolver, off this host.
   */
  static void refuseTheSystemResolver(String... args) throws IOException {
    List<String> arguments = List.of(args);
    if (arguments.isEmpty()
        || !arguments.get(0).equals("run")
        || arguments.contains("--check-config")
        || arguments.contains("--print-config")) {
      return; // only a running relay asks DNS
    }
    int at = arguments.indexOf("--config");
    if (at < 0 || at + 1 >= arguments.size()) {
      throw new AssertionError(
          "a relay under test needs --config with a [dns] resolver on 127.0.0.1 (the default"
              + " configuration asks the system resolver)");
    }
    Path config = Path.of(arguments.get(at + 1));
    String resolver;
    try {
      resolver = ConfigLoader.load(config, config.toAbsolutePath().getParent()).dns().resolver();
    } catch (ConfigException e) {
      return; // the relay itself reports a broken configuration, which is what such a test checks
    }
    if (!resolver.startsWith("127.0.0.1:")) {
      throw new AssertionError(
          config
              + ": dns.resolver = \""
              + resolver
              + "\" in a relay under test; use 127.0.0.1 (Dnsmasq, or RelayConfigFile.noResolver())");
    }
  }

  /** The SMTP proxy's port; -1 when it is off. */
  public int port() {
    return port;
  }

  /** The milter's TCP port; -1 when it is off or on a unix socket. */
  public int milterPort() {
    return milterPort;
  }

  /** The DNS records it printed: name (no trailing dot) → value. */
  public Map<String, String> records() {
    return records;
  }

  /** What it printed up to "listening". */
  public List<String> output() {
    return output;
  }

  public Process process() {
    return process;
  }

  /** Its resident memory now (VmRSS), in KB. */
  public long residentKilobytes() throws IOException {
    return statusKilobytes("VmRSS:");
  }

  /** Its peak resident memory so far (VmHWM), in KB. */
  public long peakResidentKilobytes() throws IOException {
    return statusKilobytes("VmHWM:");
  }

  private long statusKilobytes(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", "" + process.pid(), "status"))) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no " + field + " for process " + process.pid());
  }

  /** Reads its standard output until a line contains {@code text}. */
  public void awaitOutput(String text) throws IOException {
    awaitLine(text);
  }

  /**
   * Waits for the next line (after the one the previous call returned) that contains {@code text},
   * for at most two minutes; returns that line.
   */
  public String awaitLine(String text) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    synchronized (later) {
      while (true) {
        for (; awaited < later.size(); awaited++) {
          if (later.get(awaited).contains(text)) {
            return later.get(awaited++);
          }
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          throw new AssertionError(
              "the relay "
                  + (ended ? "exited" : "went on for two minutes")
                  + " without printing: "
                  + text
                  + "; it printed: "
                  + later);
        }
        try {
          later.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for: " + text, e);
        }
      }
    }
  }

  /** Every line it printed so far, the start-up lines included. */
  public List<String> printed() {
    List<String> all = new ArrayList<>(output);
    synchronized (later) {
      all.addAll(later);
    }
    return all;
  }

  /** SIGTERM through the process handle (so our pipes stay open), without waiting. */
  public void terminate() {
    process.toHandle().destroy();
  }

  /** SIGKILL: no shutdown hook, no goodbye. */
  public void kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM and wait for it to finish its in-flight transactions and exit. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
