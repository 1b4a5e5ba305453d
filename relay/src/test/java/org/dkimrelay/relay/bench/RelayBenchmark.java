package org.dkimrelay.relay.bench;

import static org.dkimrelay.relay.bench.BenchTools.cpuMillis;
import static org.dkimrelay.relay.bench.BenchTools.freePort;
import static org.dkimrelay.relay.bench.BenchTools.generate;
import static org.dkimrelay.relay.bench.BenchTools.median;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchProviderException;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.relay.bench.BenchTools.Load;
import org.dkimrelay.relay.bench.BenchTools.OpenDkim;
import org.dkimrelay.relay.dkim.Signatures;
import org.dkimrelay.relay.mta.PostfixInstance;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpSink;
import org.dkimrelay.relay.testing.SmtpTestClient;

/**
 * The side-by-side benchmark behind scripts/bench, all on 127.0.0.1 in one run: smtp-source into
 * smtp-sink directly (the ceiling), through dkimrelay (RSA-2048, Ed25519, both), and through
 * Postfix with OpenDKIM as a milter; 10 KB and 1 MB messages, 1 and 16 sessions. Also the raw JCA
 * RSA-2048 sign rate, latency added per message, the relay's peak heap and RSS, 16 concurrent 50 MB
 * messages under -Xmx256m and the memory of 1,000 idle sessions. The two ratio targets (both keys
 * against RSA alone; 1 MB through the relay against direct) are measured again side by side, runs
 * alternating, since rows measured minutes apart drift with this shared machine. A sample of what
 * each signer delivered is verified by dkimpy first, so a fast wrong signer cannot score. Every
 * load is a bounded number of messages with a time limit.
 */
public final class RelayBenchmark {
  private static final Duration RUN_LIMIT = Duration.ofMinutes(5);
  private static final int KB10 = 10 * 1024;
  private static final int MB1 = 1024 * 1024;
  private static final java.util.regex.Pattern CHILD_TIMES =
      java.util.regex.Pattern.compile("(\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s\\s*$");

  /** What was signed with: key selectors per algorithm set. */
  enum Keys {
    RSA("rsa-2048"),
    ED25519("ed25519"),
    BOTH("rsa+ed25519");

    final String label;

    Keys(String label) {
      this.label = label;
    }
  }

  /** One measured load: messages/s, and CPU milliseconds per message of each process. */
  record Run(double rate, double sourceCpu, double sinkCpu, double signerCpu) {}

  private static final int REPEATS = 3; // the median of three: this machine's figures vary

  private final Path work;
  private final double scale;
  private final List<Load> loads;
  private final Map<String, Double> rates = new LinkedHashMap<>();
  private final Map<String, Run> runs = new LinkedHashMap<>();
  private long sinkPid;
  private final List<String> notes = new ArrayList<>();
  private final Map<String, Double> rawRsa = new LinkedHashMap<>(); // one thread, by provider
  private double dualKeyRatio; // rsa+ed25519 / rsa-2048, interleaved runs
  private double bigMessageRatio; // relay / direct, 1 MB, interleaved runs
  private final Map<String, Double> openDkimCpu = new LinkedHashMap<>(); // ms/message, by load
  private static final String JDK_ROW = "relay rsa-2048 (jdk)";
  private static final String OPENDKIM_ROW = "postfix+opendkim rsa-2048";

  private RelayBenchmark(Path work, double scale) {
    this.work = work;
    this.scale = scale;
    this.loads =
        List.of(
            new Load("10 KB", KB10, 1, count(2000)),
            new Load("10 KB", KB10, 16, count(6000)),
            new Load("1 MB", MB1, 1, count(60)),
            new Load("1 MB", MB1, 16, count(200)));
  }

  private int count(int messages) {
    return Math.max(10, (int) (messages * scale));
  }

  public static void main(String[] args) throws Exception {
    double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1;
    Path work = Files.createTempDirectory(Path.of("/tmp"), "dkimrelay-bench-");
    Files.setPosixFilePermissions(
        work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    new RelayBenchmark(work, scale).run();
  }

  private void run() throws Exception {
    Signatures relaySigns = Signatures.selected();
    System.out.printf(
        Locale.ROOT,
        "dkimrelay benchmark: %d cores, Java %s, the relay signs with %s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        relaySigns.description());
    for (Signatures signatures : providers()) {
      double one = rawRate(KeyAlgorithm.RSA, signatures, 1);
      double two = rawRate(KeyAlgorithm.RSA, signatures, 2);
      rawRsa.put(signatures.label(), one);
      System.out.printf(
          Locale.ROOT,
          "raw JCA signatures/s, %s: RSA-2048 %.0f (1 thread), %.0f (2 threads); Ed25519 %.0f"
              + " (1 thread)%n",
          signatures.label(),
          one,
          two,
          rawRate(KeyAlgorithm.ED25519, signatures, 1));
    }

    try (SmtpSink sink = SmtpSink.start(work)) {
      sinkPid = sink.pid();
      smtpSource(sink.port(), new Load("10 KB", KB10, 16, 2000), "warm-up");
      for (Load load : loads) {
        measure("direct", load, sink.port(), -1);
      }
      Map<Keys, Path> keyDirs = new LinkedHashMap<>();
      for (Keys keys : Keys.values()) {
        keyDirs.put(keys, makeKeys(keys));
        measureRelay("relay " + keys.label, keyDirs.get(keys), sink.port());
      }
      measureRelay(JDK_ROW, keyDirs.get(Keys.RSA), sink.port(), "-Ddkimrelay.crypto-provider=jdk");
      measurePostfixOpenDkim(sink.port());
      interleavedDualKeys(keyDirs.get(Keys.RSA), keyDirs.get(Keys.BOTH), sink.port());
      interleavedDirect(keyDirs.get(Keys.RSA), sink.port());
      latency(keyDirs.get(Keys.RSA), sink.port());
      bigMessages(keyDirs.get(Keys.RSA), sink.port());
      idleSessions(keyDirs.get(Keys.RSA), sink.port());
    }
    printTable();
    printCpu();
    printTargets();
    notes.forEach(System.out::println);
  }

  // ---- measurements ---------------------------------------------------------------------------

  private void measureRelay(String who, Path keyDir, int sinkPort, String... jvmOptions)
      throws Exception {
    verifySample(who, keyDir, jvmOptions);
    try (RelayProcess relay = startRelay(keyDir, sinkPort, 64, "-Xmx256m", jvmOptions);
        JvmWatch watch = JvmWatch.start(relay)) {
      warmUp(relay.port());
      for (Load load : loads) {
        measure(who, load, relay.port(), relay.process().pid());
      }
      notes.add(
          String.format(
              Locale.ROOT,
              "%-24s peak heap %4.0f MB, peak RSS %4.0f MB (-Xmx256m)",
              who,
              watch.peakHeapMb(),
              watch.peakRssMb()));
    }
  }

  /** Until the JIT compiler is done with the hot paths (profiled: it still was after 6,000). */
  private void warmUp(int port) throws Exception {
    long start = System.nanoTime();
    while (System.nanoTime() - start < 12_000_000_000L) {
      smtpSource(port, new Load("10 KB", KB10, 16, 2000), "warm-up");
    }
    smtpSource(port, new Load("1 MB", MB1, 4, 40), "warm-up");
  }

  private void measurePostfixOpenDkim(int sinkPort) throws Exception {
    DkimKey key = generate(KeyAlgorithm.RSA, "od");
    try (OpenDkim opendkim = OpenDkim.start(work.resolve("opendkim"), key);
        RecordingUpstream sample = RecordingUpstream.start()) {
      int submitPort = freePort();
      try (PostfixInstance postfix = PostfixInstance.create(submitPort, sample.port())) {
        postfix.set(
            "smtpd_milters=unix:" + opendkim.socket(),
            "milter_default_action=tempfail",
            "default_process_limit=100");
        postfix.start();
        verifyDelivered(
            "postfix+opendkim",
            sample,
            submitPort,
            Map.of("od._domainkey.example.com", key.record().value()));
        postfix.set("relayhost=[127.0.0.1]:" + sinkPort);
        for (Load load : loads) {
          List<Double> measured = new ArrayList<>();
          List<Double> cpu = new ArrayList<>();
          for (int i = 0; i < REPEATS; i++) {
            long opendkim0 = cpuMillis(opendkim.process().pid());
            measured.add(postfixRate(postfix, submitPort, load));
            cpu.add((cpuMillis(opendkim.process().pid()) - opendkim0) / (double) load.messages());
          }
          rates.put(key(OPENDKIM_ROW, load), median(measured));
          openDkimCpu.put(load.label() + " " + load.sessions(), median(cpu));
        }
      }
    }
  }

  private static final int ROUNDS = 6; // pairs of runs, alternating which goes first

  /**
   * The two signers of a ratio target side by side: both relays run at once, and their runs
   * alternate (A B, B A, ...), so that the drift of this shared machine over minutes falls on both
   * alike; the figure is the median of the per-pair ratios. Separate rows, minutes apart, moved the
   * dual-key ratio between 0.75 and 1.13.
   */
  private void interleavedDualKeys(Path rsaKeys, Path bothKeys, int sinkPort) throws Exception {
    Load load = loads.get(1);
    try (RelayProcess rsa = startRelay(rsaKeys, sinkPort, 64, "-Xmx256m");
        RelayProcess both = startRelay(bothKeys, sinkPort, 64, "-Xmx256m")) {
      warmUp(rsa.port());
      warmUp(both.port());
      List<Double> ratios = new ArrayList<>();
      List<Double> rsaRates = new ArrayList<>();
      List<Double> bothRates = new ArrayList<>();
      List<Double> rsaCpu = new ArrayList<>();
      List<Double> bothCpu = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        boolean rsaFirst = round % 2 == 0;
        double[] first = timedRun(rsaFirst ? rsa : both, load);
        double[] second = timedRun(rsaFirst ? both : rsa, load);
        double[] rsaRun = rsaFirst ? first : second;
        double[] bothRun = rsaFirst ? second : first;
        ratios.add(bothRun[0] / rsaRun[0]);
        rsaRates.add(rsaRun[0]);
        bothRates.add(bothRun[0]);
        rsaCpu.add(rsaRun[1]);
        bothCpu.add(bothRun[1]);
      }
      dualKeyRatio = median(ratios);
      notes.add(
          String.format(
              Locale.ROOT,
              "interleaved, 10 KB, 16 sessions, %d pairs of runs: rsa-2048 %.0f msg/s (%.3f ms"
                  + " CPU), rsa+ed25519 %.0f msg/s (%.3f ms CPU); per-pair ratio %s",
              ROUNDS,
              median(rsaRates),
              median(rsaCpu),
              median(bothRates),
              median(bothCpu),
              BenchTools.spread(ratios)));
    }
  }

  /** The relay and smtp-sink directly, 1 MB over 16 sessions, alternating as above. */
  private void interleavedDirect(Path rsaKeys, int sinkPort) throws Exception {
    Load load = loads.get(3);
    try (RelayProcess rsa = startRelay(rsaKeys, sinkPort, 64, "-Xmx256m")) {
      warmUp(rsa.port());
      List<Double> ratios = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        double relayed;
        double direct;
        if (round % 2 == 0) {
          relayed = smtpSource(rsa.port(), load, "interleaved relay");
          direct = smtpSource(sinkPort, load, "interleaved direct");
        } else {
          direct = smtpSource(sinkPort, load, "interleaved direct");
          relayed = smtpSource(rsa.port(), load, "interleaved relay");
        }
        ratios.add(relayed / direct);
      }
      bigMessageRatio = median(ratios);
      notes.add(
          String.format(
              Locale.ROOT,
              "interleaved, 1 MB, 16 sessions, %d pairs of runs: relay / direct per pair %s",
              ROUNDS,
              BenchTools.spread(ratios)));
    }
  }

  /** One run into {@code relay}: messages/s and the relay's CPU ms per message. */
  private double[] timedRun(RelayProcess relay, Load load) throws Exception {
    long cpu0 = cpuMillis(relay.process().pid());
    double rate = smtpSource(relay.port(), load, "interleaved");
    return new double[] {
      rate, (cpuMillis(relay.process().pid()) - cpu0) / (double) load.messages()
    };
  }

  /** Sequential transactions over one session: time from MAIL to the final 250, per message. */
  private void latency(Path keyDir, int sinkPort) throws Exception {
    int messages = count(500);
    byte[] message = smtpSourceLikeMessage(KB10);
    long[] direct = transactionTimes(sinkPort, message, messages);
    long[] relayed;
    try (RelayProcess relay = startRelay(keyDir, sinkPort, 64, "-Xmx256m")) {
      warmUp(relay.port());
      transactionTimes(relay.port(), message, messages);
      relayed = transactionTimes(relay.port(), message, messages);
    }
    notes.add(
        String.format(
            Locale.ROOT,
            "latency per 10 KB message, one session (MAIL to final 250): direct p50 %.2f ms p99"
                + " %.2f ms; through the relay (rsa-2048) p50 %.2f ms p99 %.2f ms; added p50 %.2f"
                + " ms p99 %.2f ms",
            ms(percentile(direct, 50)),
            ms(percentile(direct, 99)),
            ms(percentile(relayed, 50)),
            ms(percentile(relayed, 99)),
            ms(percentile(relayed, 50) - percentile(direct, 50)),
            ms(percentile(relayed, 99) - percentile(direct, 99))));
  }

  private void bigMessages(Path keyDir, int sinkPort) throws Exception {
    Load big = new Load("50 MB", 50_000_000, 16, 16);
    try (RelayProcess relay = startRelay(keyDir, sinkPort, 64, "-Xmx256m");
        JvmWatch watch = JvmWatch.start(relay)) {
      long start = System.nanoTime();
      double rate = smtpSource(relay.port(), big, "50 MB");
      notes.add(
          String.format(
              Locale.ROOT,
              "16 concurrent 50 MB messages through the relay (rsa-2048, -Xmx256m): all accepted in"
                  + " %.1f s (%.1f msg/s); peak heap %.0f MB, peak RSS %.0f MB",
              (System.nanoTime() - start) / 1e9,
              rate,
              watch.peakHeapMb(),
              watch.peakRssMb()));
    }
  }

  private void idleSessions(Path keyDir, int sinkPort) throws Exception {
    int sessions = 1000;
    List<SmtpTestClient> idle = new ArrayList<>();
    try (RelayProcess relay = startRelay(keyDir, sinkPort, sessions, "-Xmx64m")) {
      long before = relay.residentKilobytes();
      try {
        for (int i = 0; i < sessions; i++) {
          SmtpTestClient client = SmtpTestClient.connect(relay.port());
          idle.add(client);
          client.reply();
        }
        long after = relay.residentKilobytes();
        notes.add(
            String.format(
                Locale.ROOT,
                "1,000 idle sessions (-Xmx64m): %d KB of RSS each, %.0f MB in all",
                (after - before) / sessions,
                (after - before) / 1024.0));
      } finally {
        for (SmtpTestClient client : idle) {
          client.close();
        }
      }
    }
  }

  // ---- load generators ------------------------------------------------------------------------

  /**
   * Runs {@code load} three times into {@code port} and keeps the run with the median rate, with
   * the CPU time per message of smtp-source, smtp-sink and the signer ({@code signerPid}; -1:
   * none).
   */
  private void measure(String who, Load load, int port, long signerPid) throws Exception {
    List<Run> measured = new ArrayList<>();
    for (int i = 0; i < REPEATS; i++) {
      long sink0 = cpuMillis(sinkPid);
      long signer0 = signerPid < 0 ? 0 : cpuMillis(signerPid);
      double[] sourceCpu = new double[1];
      double rate = smtpSource(port, load, who, sourceCpu);
      measured.add(
          new Run(
              rate,
              sourceCpu[0] / load.messages(),
              (cpuMillis(sinkPid) - sink0) / (double) load.messages(),
              signerPid < 0 ? 0 : (cpuMillis(signerPid) - signer0) / (double) load.messages()));
    }
    measured.sort(java.util.Comparator.comparingDouble(Run::rate));
    Run median = measured.get(REPEATS / 2);
    rates.put(key(who, load), median.rate());
    runs.put(key(who, load), median);
  }

  private double smtpSource(int port, Load load, String what) throws Exception {
    return smtpSource(port, load, what, new double[1]);
  }

  /**
   * smtp-source with connection reuse; messages per second until the last one was accepted. Its own
   * CPU milliseconds go to {@code cpu[0]} (bash's {@code times} after it).
   */
  private double smtpSource(int port, Load load, String what, double[] cpu) throws Exception {
    Process source = BenchTools.startSmtpSource(port, load);
    long start = System.nanoTime();
    if (!source.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
      source.destroyForcibly();
      throw new IllegalStateException(what + " " + load.label() + ": over " + RUN_LIMIT);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String output = new String(source.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (source.exitValue() != 0) {
      throw new IllegalStateException(
          what + " " + load.label() + ": smtp-source failed: " + output);
    }
    // The last line of bash's `times`: the children's user and system time, e.g. 0m1.250s 0m0.310s
    java.util.regex.Matcher times = CHILD_TIMES.matcher(output);
    if (times.find()) {
      cpu[0] =
          (Long.parseLong(times.group(1)) * 60
                  + Double.parseDouble(times.group(2))
                  + Long.parseLong(times.group(3)) * 60
                  + Double.parseDouble(times.group(4)))
              * 1000;
    }
    return load.messages() / seconds;
  }

  /** Postfix: from the first message submitted until its queue is empty again (all delivered). */
  private double postfixRate(PostfixInstance postfix, int submitPort, Load load) throws Exception {
    long start = System.nanoTime();
    Process source = BenchTools.startSmtpSource(submitPort, load);
    long deadline = start + RUN_LIMIT.toNanos();
    while (source.isAlive() || !postfix.queue().isEmpty()) {
      if (System.nanoTime() > deadline) {
        source.destroyForcibly();
        throw new IllegalStateException("postfix+opendkim " + load.label() + ": over " + RUN_LIMIT);
      }
      Thread.sleep(50); // polling Postfix's queue, an outside process
    }
    if (source.exitValue() != 0) {
      throw new IllegalStateException("postfix+opendkim " + load.label() + ": smtp-source failed");
    }
    return load.messages() / ((System.nanoTime() - start) / 1e9);
  }

  private static long[] transactionTimes(int port, byte[] message, int messages) throws Exception {
    long[] times = new long[messages];
    try (SmtpTestClient client = SmtpTestClient.connect(port)) {
      client.reply();
      client.command("EHLO client.test");
      for (int i = 0; i < messages; i++) {
        long start = System.nanoTime();
        String reply = client.sendMail("alice@example.com", "bob@example.org", message);
        times[i] = System.nanoTime() - start;
        SmtpTestClient.expect(reply, "250");
      }
    }
    return times;
  }

  // ---- correctness of what is measured --------------------------------------------------------

  /** 20 messages through the relay to a recorder; each must verify with dkimpy. */
  private void verifySample(String what, Path keyDir, String... jvmOptions) throws Exception {
    try (RecordingUpstream recorder = RecordingUpstream.start();
        RelayProcess relay = startRelay(keyDir, recorder.port(), 64, "-Xmx256m", jvmOptions)) {
      verifyDelivered(what, recorder, relay.port(), relay.records());
    }
  }

  private void verifyDelivered(
      String what, RecordingUpstream recorder, int port, Map<String, String> records)
      throws Exception {
    int sample = 20;
    smtpSource(port, new Load("10 KB", KB10, 4, sample), what + " sample");
    List<RecordingUpstream.Transaction> arrived =
        recorder.awaitTransactions(sample, Duration.ofSeconds(60));
    BenchTools.verifySample(work, what, arrived, records);
    notes.add(
        what + ": " + sample + " sample messages delivered, every signature verified by dkimpy");
  }

  // ---- output ---------------------------------------------------------------------------------

  private static String key(String who, Load load) {
    return who + " | " + load.label();
  }

  private void printTable() {
    System.out.println();
    System.out.printf(Locale.ROOT, "%-28s", "messages/s");
    for (Load load : loads) {
      System.out.printf(Locale.ROOT, "%20s", load.label());
    }
    System.out.println();
    List<String> rows = new ArrayList<>(List.of("direct"));
    for (Keys keys : Keys.values()) {
      rows.add("relay " + keys.label);
    }
    rows.add(JDK_ROW);
    rows.add(OPENDKIM_ROW);
    for (String row : rows) {
      System.out.printf(Locale.ROOT, "%-28s", row);
      for (Load load : loads) {
        System.out.printf(Locale.ROOT, "%20.0f", rates.getOrDefault(key(row, load), Double.NaN));
      }
      System.out.println();
    }
    System.out.println();
  }

  /** Where the time goes: CPU milliseconds per message of each process. */
  private void printCpu() throws NoSuchProviderException {
    System.out.println(
        "CPU ms per message (median run)             smtp-source  smtp-sink   signer  all three");
    for (String who :
        List.of("direct", "relay rsa-2048", JDK_ROW, "relay ed25519", "relay rsa+ed25519")) {
      for (Load load : loads) {
        Run run = runs.get(key(who, load));
        System.out.printf(
            Locale.ROOT,
            "%-44s %11.3f %10.3f %8.3f %10.3f%n",
            who + ", " + load.label(),
            run.sourceCpu(),
            run.sinkCpu(),
            run.signerCpu(),
            run.sourceCpu() + run.sinkCpu() + run.signerCpu());
      }
    }
    for (Load load : loads) {
      System.out.printf(
          Locale.ROOT,
          "%-44s %31.3f%n",
          "opendkim alone, " + load.label(),
          openDkimCpu.get(load.label() + " " + load.sessions()));
    }
    System.out.println();
    Load small16 = loads.get(1);
    for (String who : List.of("relay rsa-2048", JDK_ROW)) {
      String provider = who.equals(JDK_ROW) ? "jdk" : Signatures.selected().label();
      double cpu = runs.get(key(who, small16)).signerCpu();
      double crypto = 1000 / rawRsa.get(provider); // one RSA-2048 signature per message
      System.out.printf(
          Locale.ROOT,
          "%s, 10 KB, 16 sessions: %.3f ms of CPU per message = %.3f ms crypto (one RSA-2048"
              + " signature at %s's raw rate) + %.3f ms the rest%n",
          who,
          cpu,
          crypto,
          provider,
          cpu - crypto);
    }
    System.out.printf(
        Locale.ROOT,
        "%d cores shared by the three processes cap a run at %d000 / (all three) messages/s%n%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().availableProcessors());
  }

  /** Issue 18's targets, each from this run's figures. */
  private void printTargets() throws Exception {
    Load small16 = loads.get(1);
    Load big16 = loads.get(3);
    double relayRsa = rates.get(key("relay rsa-2048", small16));
    target(
        "relay / postfix+opendkim, 10 KB, 16 sessions, rsa-2048",
        relayRsa / rates.get(key(OPENDKIM_ROW, small16)),
        5.0);
    double cpu = runs.get(key("relay rsa-2048", small16)).signerCpu();
    double crypto = 1000 / rawRsa.get(Signatures.selected().label());
    atMost("relay CPU ms per 10 KB message (16 sessions)", cpu, 0.6);
    atMost("  of which not the signature", cpu - crypto, 0.3);
    atMost(
        "relay CPU / opendkim's own CPU per 10 KB message",
        cpu / openDkimCpu.get(small16.label() + " " + small16.sessions()),
        1 / 3.0);
    target("relay / direct, 1 MB, 16 sessions, rsa-2048 (interleaved)", bigMessageRatio, 0.7);
    target("relay rsa+ed25519 / rsa-2048, 10 KB, 16 sessions (interleaved)", dualKeyRatio, 0.9);
  }

  private static void atMost(String what, double value, double wanted) {
    System.out.printf(
        Locale.ROOT,
        "%-60s %5.2f  (target <= %.2f: %s)%n",
        what,
        value,
        wanted,
        value <= wanted ? "met" : "MISSED");
  }

  private static void target(String what, double ratio, double wanted) {
    System.out.printf(
        Locale.ROOT,
        "%-60s %5.2f  (target >= %.2f: %s)%n",
        what,
        ratio,
        wanted,
        ratio >= wanted ? "met" : "MISSED");
  }

  // ---- helpers --------------------------------------------------------------------------------

  private RelayProcess startRelay(
      Path keyDir, int upstreamPort, int maxSessions, String heap, String... jvmOptions)
      throws IOException {
    Path config =
        RelayConfigFile.write(
            Files.createTempFile(work, "relay-", ".toml"),
            upstreamPort,
            keyDir,
            "max-sessions = " + maxSessions + "\n",
            "");
    List<String> options = new ArrayList<>(List.of(heap));
    options.addAll(Arrays.asList(jvmOptions));
    return RelayProcess.start(
        work.resolve("relay.log"), options, "run", "--config", config.toString());
  }

  private Path makeKeys(Keys keys) throws IOException {
    Path dir = work.resolve("keys-" + keys.name().toLowerCase(Locale.ROOT));
    KeyDirectory directory = new KeyDirectory(dir);
    if (keys != Keys.ED25519) {
      DkimKey rsa = generate(KeyAlgorithm.RSA, "r1");
      directory.store(rsa, rsa.txtRecord(3600));
    }
    if (keys != Keys.RSA) {
      DkimKey ed = generate(KeyAlgorithm.ED25519, "e1");
      directory.store(ed, ed.txtRecord(3600));
    }
    return dir;
  }

  /** AWS-LC where it loads, and the JDK. */
  private static List<Signatures> providers() {
    List<Signatures> providers = new ArrayList<>();
    try {
      providers.add(Signatures.accp());
    } catch (NoSuchProviderException e) {
      System.out.println(e.getMessage());
    }
    providers.add(Signatures.jdk());
    return providers;
  }

  /** The JCA sign rate of {@code algorithm} with {@code signatures} on {@code threads}. */
  private static double rawRate(KeyAlgorithm algorithm, Signatures signatures, int threads)
      throws Exception {
    DkimKey key = generate(algorithm, "raw");
    byte[] data = new byte[400]; // about the canonicalised header block of a message
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Long>> counts = new ArrayList<>();
      long warmUp = 2_000_000_000L;
      long measure = 5_000_000_000L;
      for (int i = 0; i < threads; i++) {
        counts.add(
            pool.submit(
                () -> {
                  Signature signature = signatures.forAlgorithm(algorithm);
                  signature.initSign(key.privateKey());
                  long start = System.nanoTime();
                  while (System.nanoTime() - start < warmUp) {
                    signature.update(data);
                    signature.sign();
                  }
                  long n = 0;
                  long begin = System.nanoTime();
                  while (System.nanoTime() - begin < measure) {
                    signature.update(data);
                    signature.sign();
                    n++;
                  }
                  return n;
                }));
      }
      long total = 0;
      for (Future<Long> count : counts) {
        total += count.get();
      }
      return total / (measure / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  private static byte[] smtpSourceLikeMessage(int bytes) {
    StringBuilder text =
        new StringBuilder(
            "From: <alice@example.com>\r\nTo: <bob@example.org>\r\nDate: Sun, 22 Nov 2026 10:00:00"
                + " +0000\r\nMessage-Id: <bench@client.test>\r\nSubject: latency\r\n\r\n");
    while (text.length() < bytes) {
      text.append("X".repeat(78)).append("\r\n");
    }
    return text.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static long percentile(long[] values, int percent) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** The relay's peak heap (jstat, sampled) and peak RSS (VmHWM) while it runs. */
  private static final class JvmWatch implements AutoCloseable {
    private final RelayProcess relay;
    private final Process jstat;
    private final AtomicLong peakHeapKb = new AtomicLong();

    private JvmWatch(RelayProcess relay, Process jstat) {
      this.relay = relay;
      this.jstat = jstat;
    }

    static JvmWatch start(RelayProcess relay) throws IOException {
      long pid = relay.process().pid();
      Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
      Process process = new ProcessBuilder(jstat.toString(), "-gc", "" + pid, "200").start();
      JvmWatch watch = new JvmWatch(relay, process);
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader lines =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  List<String> columns = List.of();
                  for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    String[] fields = line.trim().split("\\s+");
                    if (fields[0].equals("S0C")) {
                      columns = List.of(fields);
                      continue;
                    }
                    double used = 0;
                    for (String column : List.of("S0U", "S1U", "EU", "OU")) {
                      int index = columns.indexOf(column);
                      if (index >= 0 && index < fields.length) {
                        used += Double.parseDouble(fields[index]);
                      }
                    }
                    watch.peakHeapKb.accumulateAndGet((long) used, Math::max);
                  }
                } catch (IOException | NumberFormatException e) {
                  // jstat ended with the relay
                }
              });
      reader.setDaemon(true);
      reader.start();
      return watch;
    }

    double peakHeapMb() {
      return peakHeapKb.get() / 1024.0;
    }

    double peakRssMb() throws IOException {
      return relay.peakResidentKilobytes() / 1024.0;
    }

    @Override
    public void close() {
      jstat.destroy();
    }
  }
}
