package org.dkimrelay.relay.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.PemKeys;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.mta.PostfixInstance;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;

/** What the benchmarks share: smtp-source, CPU clocks from /proc, OpenDKIM, small helpers. */
final class BenchTools {
  private BenchTools() {}

  /** One load: message size, concurrent sessions, messages. */
  record Load(String size, int bytes, int sessions, int messages) {
    String label() {
      return size + ", " + sessions + (sessions == 1 ? " session" : " sessions");
    }
  }

  /**
   * One measured configuration: delivered messages/s, CPU ms per message of the signer and of all.
   */
  record Row(double rate, double signerCpu, double machineCpu) {}

  /** The side-by-side table of an MTA benchmark, one line per configuration. */
  static void printRows(Map<String, Row> rows) {
    printRows(rows, "delivered/s");
  }

  /** The rows under a header whose rate column is called {@code rate}. */
  static void printRows(Map<String, Row> rows, String rate) {
    System.out.printf(
        Locale.ROOT, "%-40s %12s %16s %18s%n", "", rate, "signer CPU ms", "machine CPU ms");
    rows.forEach(
        (who, row) ->
            System.out.printf(
                Locale.ROOT,
                "%-40s %12.0f %16.2f %18.2f%n",
                who,
                row.rate(),
                row.signerCpu(),
                row.machineCpu()));
  }

  /** smtp-source with connection reuse; bash's {@code times} prints its CPU time after it. */
  static Process startSmtpSource(int port, Load load) throws IOException {
    return new ProcessBuilder(
            "/bin/bash",
            "-c",
            "/usr/sbin/smtp-source \"$@\"; status=$?; times; exit $status",
            "smtp-source",
            "-d", // one connection per session, reused as an MTA reuses them
            "-s",
            "" + load.sessions(),
            "-m",
            "" + load.messages(),
            "-l",
            "" + load.bytes(),
            "-f",
            "alice@example.com",
            "-t",
            "bob@example.org",
            "-M",
            "client.test",
            "127.0.0.1:" + port)
        .redirectErrorStream(true)
        .start();
  }

  /**
   * Messages per second from the first of {@code load} submitted to {@code postfix} until its queue
   * is empty again, bounded by {@code limit}.
   */
  static double untilQueueEmpty(
      PostfixInstance postfix, int submitPort, Load load, Duration limit, String who)
      throws Exception {
    long start = System.nanoTime();
    Process source = startSmtpSource(submitPort, load);
    long deadline = start + limit.toNanos();
    while (source.isAlive() || !postfix.queue().isEmpty()) {
      if (System.nanoTime() > deadline) {
        source.destroyForcibly();
        throw new IllegalStateException(who + ": over " + limit);
      }
      Thread.sleep(50); // polling Postfix's queue, an outside process
    }
    if (source.waitFor(10, TimeUnit.SECONDS) && source.exitValue() != 0) {
      throw new IllegalStateException(who + ": smtp-source failed");
    }
    return load.messages() / ((System.nanoTime() - start) / 1e9);
  }

  /** User + system CPU time of a process so far, from /proc (clock ticks of 10 ms). */
  static long cpuMillis(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", "" + pid, "stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
  }

  /**
   * CPU time every process of the machine has used so far (/proc/stat, all but idle and iowait).
   */
  static long machineBusyMillis() throws IOException {
    String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < cpu.length && i <= 8; i++) {
      if (i != 4 && i != 5) { // idle, iowait
        busy += Long.parseLong(cpu[i]);
      }
    }
    return busy * 10;
  }

  /**
   * Verifies {@code sample} (what a signer delivered) with dkimpy, so a fast wrong signer cannot
   * score; throws when any message fails.
   */
  static void verifySample(
      Path work,
      String who,
      List<RecordingUpstream.Transaction> sample,
      Map<String, String> records)
      throws IOException {
    Path batch = Files.createDirectories(work.resolve("sample-" + who.replaceAll("\\W+", "-")));
    for (int i = 0; i < sample.size(); i++) {
      Files.write(
          batch.resolve(String.format(Locale.ROOT, "%02d.eml", i)), sample.get(i).content());
    }
    ExternalTool.Result dkimpy = Oracles.dkimpyVerifyDirectory(batch, records);
    long passed = dkimpy.out().lines().filter(line -> line.contains(": pass ")).count();
    if (dkimpy.exit() != 0 || passed < sample.size()) {
      throw new IllegalStateException(who + ": sample failed dkimpy verification: " + dkimpy);
    }
  }

  /** The median and the range of {@code ratios}: {@code 0.99 (0.85 to 1.10)}. */
  static String spread(List<Double> ratios) {
    return String.format(
        Locale.ROOT,
        "%.2f (%.2f to %.2f)",
        median(ratios),
        ratios.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
        ratios.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  static DkimKey generate(KeyAlgorithm algorithm, String selector) {
    return new DkimKeyGenerator(new SecureRandom())
        .generate(SigningDomain.parse("example.com"), Selector.parse(selector), algorithm, 2048);
  }

  /** OpenDKIM signing example.com with {@code key} on a unix socket, as Debian runs it. */
  record OpenDkim(Process process, Path socket) implements AutoCloseable {
    static OpenDkim start(Path dir, DkimKey key) throws IOException, InterruptedException {
      Files.createDirectories(dir);
      Path keyFile = dir.resolve(key.selector() + ".key");
      Files.writeString(keyFile, PemKeys.toPkcs8Pem(key.privateKey()));
      Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
      Path socket = dir.resolve("opendkim.sock");
      Path conf =
          Files.writeString(
              dir.resolve("opendkim.conf"),
              String.join(
                  "\n",
                  "Syslog no",
                  "Mode s",
                  "Canonicalization relaxed/relaxed",
                  "Domain example.com",
                  "Selector " + key.selector(),
                  "KeyFile " + keyFile,
                  "RequireSafeKeys false", // the bench directory is under /tmp
                  "Socket local:" + socket,
                  "UMask 000", // Postfix's smtpd (user postfix) connects to it
                  "SignatureAlgorithm rsa-sha256",
                  "OversignHeaders From",
                  ""));
      Process process =
          new ProcessBuilder("/usr/sbin/opendkim", "-f", "-x", conf.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("opendkim.log").toFile())
              .start();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!Files.exists(socket)) {
        if (System.nanoTime() > deadline) {
          process.destroy();
          throw new IllegalStateException(socket + " did not appear: did opendkim start?");
        }
        Thread.sleep(50); // waiting for an outside process's socket
      }
      return new OpenDkim(process, socket);
    }

    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
