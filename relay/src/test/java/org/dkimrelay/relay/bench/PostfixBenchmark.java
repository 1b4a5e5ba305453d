package org.dkimrelay.relay.bench;

import static org.dkimrelay.relay.bench.BenchTools.cpuMillis;
import static org.dkimrelay.relay.bench.BenchTools.freePort;
import static org.dkimrelay.relay.bench.BenchTools.machineBusyMillis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.relay.bench.BenchTools.Load;
import org.dkimrelay.relay.bench.BenchTools.OpenDkim;
import org.dkimrelay.relay.bench.BenchTools.Row;
import org.dkimrelay.relay.mta.PostfixInstance;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpSink;

/**
 * What Postfix admins run, side by side in one run (scripts/bench postfix): smtp-source → Postfix →
 * smtp-sink with no signer (the ceiling), with OpenDKIM as a milter on a unix socket (Debian's
 * set-up), with the dkimrelay milter over TCP and over a unix socket, and with dkimrelay as an
 * after-queue content filter; the same Postfix settings, messages per second until Postfix's queue
 * is empty, the signer's own CPU per message and the whole machine's. A sample of each signer's
 * delivered mail is verified by dkimpy first. Every row is warmed up with the same load for {@link
 * #WARM_UP} first, unmeasured: without it the relay's JIT compiler was still at work in the
 * measured runs (1.4 s of compiler-thread CPU in 10 s of load), a cost a relay that runs for days
 * pays once. Bounded: a fixed count per run, 5 minutes at most each.
 */
final class PostfixBenchmark {
  private static final Duration RUN_LIMIT = Duration.ofMinutes(5);
  private static final int REPEATS = 3;
  private static final Duration WARM_UP = Duration.ofSeconds(15);

  private final Path work;
  private final Load load;
  private final Map<String, Row> rows = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final Map<String, Double> interleaved = new LinkedHashMap<>();

  private PostfixBenchmark(Path work, double scale) {
    this.work = work;
    this.load = new Load("10 KB", 10 * 1024, 16, Math.max(100, (int) (3000 * scale)));
  }

  public static void main(String[] args) throws Exception {
    double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1;
    Path work = Files.createTempDirectory(Path.of("/tmp"), "dkimrelay-postfix-bench-");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    new PostfixBenchmark(work, scale).run();
  }

  private void run() throws Exception {
    Path keys = work.resolve("keys");
    DkimKey rsa = BenchTools.generate(KeyAlgorithm.RSA, "r1");
    new KeyDirectory(keys).store(rsa, rsa.txtRecord(3600));
    Map<String, String> records = Map.of("r1._domainkey.example.com", rsa.record().value());
    int dnsPort = Dnsmasq.freeUdpPort();
    try (SmtpSink sink = SmtpSink.start(work);
        Dnsmasq dns = Dnsmasq.start(List.of("local=/example.com/"), work.resolve("dns"), dnsPort)) {
      measure("postfix alone (no signing)", sink.port(), -1, Map.of(), (postfix, submit) -> {});
      try (OpenDkim opendkim = OpenDkim.start(work.resolve("opendkim"), rsa)) {
        measure(
            "postfix + opendkim (milter, unix)",
            sink.port(),
            opendkim.process().pid(),
            records,
            (postfix, submit) -> postfix.set("smtpd_milters=unix:" + opendkim.socket()));
      }
      int milterPort = freePort();
      try (RelayProcess relay = milterRelay(keys, dns, "inet:127.0.0.1:" + milterPort)) {
        measure(
            "postfix + dkimrelay (milter, inet)",
            sink.port(),
            relay.process().pid(),
            records,
            (postfix, submit) -> postfix.set("smtpd_milters=inet:127.0.0.1:" + milterPort));
      }
      Path socket = work.resolve("milter.sock");
      try (RelayProcess relay = milterRelay(keys, dns, "unix:" + socket)) {
        measure(
            "postfix + dkimrelay (milter, unix)",
            sink.port(),
            relay.process().pid(),
            records,
            (postfix, submit) -> postfix.set("smtpd_milters=unix:" + socket));
      }
      measureContentFilter(keys, dns, sink.port(), records);
      interleavedMilters(rsa, keys, dns, sink.port());
    }
    print();
  }

  private interface Setup {
    void apply(PostfixInstance postfix, int submitPort) throws Exception;
  }

  /**
   * One Postfix with {@code setup}: a sample verified first (when it signs), then {@link #REPEATS}
   * runs into the sink; the median run is kept.
   */
  private void measure(
      String who, int sinkPort, long signerPid, Map<String, String> records, Setup setup)
      throws Exception {
    int submitPort = freePort();
    try (RecordingUpstream sample = RecordingUpstream.start();
        PostfixInstance postfix = PostfixInstance.create(submitPort, sample.port())) {
      postfix.set("milter_default_action=tempfail", "default_process_limit=100");
      setup.apply(postfix, submitPort);
      postfix.start();
      if (!records.isEmpty()) {
        verifySample(who, sample, submitPort, records);
      }
      postfix.set("relayhost=[127.0.0.1]:" + sinkPort);
      warmUp(postfix, submitPort, who);
      List<Row> measured = new ArrayList<>();
      for (int i = 0; i < REPEATS; i++) {
        long signer0 = signerPid < 0 ? 0 : cpuMillis(signerPid);
        long machine0 = machineBusyMillis();
        double rate = untilDelivered(postfix, submitPort, who);
        measured.add(
            new Row(
                rate,
                signerPid < 0 ? 0 : (cpuMillis(signerPid) - signer0) / (double) load.messages(),
                (machineBusyMillis() - machine0) / (double) load.messages()));
      }
      measured.sort(java.util.Comparator.comparingDouble(Row::rate));
      rows.put(who, measured.get(REPEATS / 2));
    }
  }

  private static final int ROUNDS = 4;

  /**
   * The milter target side by side: three Postfix instances up at once (OpenDKIM, the dkimrelay
   * milter over TCP, over a unix socket), each warmed up, then {@link #ROUNDS} rounds of one run
   * each, the order rotating; the figure is the median of the per-round ratios against OpenDKIM.
   * Rows measured minutes apart move with this shared machine (Postfix alone: 531 to 733 msg/s).
   */
  private void interleavedMilters(DkimKey rsa, Path keys, Dnsmasq dns, int sinkPort)
      throws Exception {
    int milterPort = freePort();
    Path socket = work.resolve("milter-interleaved.sock");
    List<String> names = List.of("opendkim", "dkimrelay inet", "dkimrelay unix");
    List<PostfixInstance> postfixes = new ArrayList<>();
    List<Integer> submitPorts = new ArrayList<>();
    try (OpenDkim opendkim = OpenDkim.start(work.resolve("opendkim-interleaved"), rsa);
        RelayProcess inet = milterRelay(keys, dns, "inet:127.0.0.1:" + milterPort);
        RelayProcess unix = milterRelay(keys, dns, "unix:" + socket)) {
      List<String> milters =
          List.of("unix:" + opendkim.socket(), "inet:127.0.0.1:" + milterPort, "unix:" + socket);
      try {
        for (String milter : milters) {
          int submitPort = freePort();
          PostfixInstance postfix = PostfixInstance.create(submitPort, sinkPort);
          postfixes.add(postfix);
          submitPorts.add(submitPort);
          postfix.set(
              "milter_default_action=tempfail",
              "default_process_limit=100",
              "smtpd_milters=" + milter);
          postfix.start();
          warmUp(postfix, submitPort, milter);
        }
        List<List<Double>> ratios = List.of(new ArrayList<>(), new ArrayList<>());
        List<Long> pids =
            List.of(opendkim.process().pid(), inet.process().pid(), unix.process().pid());
        long[] cpu0 = new long[3];
        for (int k = 0; k < 3; k++) {
          cpu0[k] = cpuMillis(pids.get(k));
        }
        for (int round = 0; round < ROUNDS; round++) {
          double[] rates = new double[3];
          for (int k = 0; k < 3; k++) {
            int which = (round + k) % 3;
            rates[which] =
                untilDelivered(postfixes.get(which), submitPorts.get(which), names.get(which));
          }
          ratios.get(0).add(rates[1] / rates[0]);
          ratios.get(1).add(rates[2] / rates[0]);
        }
        StringBuilder cpu = new StringBuilder("interleaved, signer CPU ms per message:");
        for (int k = 0; k < 3; k++) {
          cpu.append(
              String.format(
                  Locale.ROOT,
                  " %s %.2f",
                  names.get(k),
                  (cpuMillis(pids.get(k)) - cpu0[k]) / (double) (ROUNDS * load.messages())));
        }
        notes.add(cpu.toString());
        for (int i = 0; i < 2; i++) {
          List<Double> r = ratios.get(i);
          interleaved.put(names.get(i + 1), BenchTools.median(r));
          notes.add(
              String.format(
                  Locale.ROOT,
                  "interleaved, %d rounds: postfix + %s / postfix + opendkim per round %s",
                  ROUNDS,
                  names.get(i + 1),
                  BenchTools.spread(r)));
        }
      } finally {
        for (PostfixInstance postfix : postfixes) {
          postfix.close();
        }
      }
    }
  }

  /** dkimrelay as the after-queue content filter, chained by scripts/postfix-chain. */
  private void measureContentFilter(
      Path keys, Dnsmasq dns, int sinkPort, Map<String, String> records) throws Exception {
    int reinject = freePort();
    Path config =
        Files.writeString(
            work.resolve("filter.toml"),
            "[listen]\naddress = \"127.0.0.1:0\"\n[upstream]\naddress = \"127.0.0.1:"
                + reinject
                + "\"\n[signing]\nkeys = \""
                + keys
                + "\"\n[dns]\nresolver = \""
                + dns.address()
                + "\"\n");
    try (RelayProcess relay =
        RelayProcess.start(
            work.resolve("filter.log"),
            List.of("-Xmx256m"),
            "run",
            "--config",
            config.toString())) {
      measure(
          "postfix + dkimrelay (content filter)",
          sinkPort,
          relay.process().pid(),
          records,
          (postfix, submit) -> {
            ExternalTool.Result applied =
                ExternalTool.run(
                    List.of(
                        Path.of("..", "scripts", "postfix-chain").toAbsolutePath().toString(),
                        "--content-filter",
                        "--apply",
                        "-c",
                        postfix.config().toString(),
                        "--relay",
                        "127.0.0.1:" + relay.port(),
                        "--reinject",
                        "127.0.0.1:" + reinject,
                        "--services",
                        "127.0.0.1:" + submit + "/inet"));
            if (applied.exit() != 0) {
              throw new IllegalStateException("postfix-chain failed: " + applied);
            }
          });
    }
  }

  private RelayProcess milterRelay(Path keys, Dnsmasq dns, String address) throws Exception {
    Path config =
        Files.writeString(
            Files.createTempFile(work, "milter-", ".toml"),
            String.join(
                "\n",
                "[milter]",
                "address = \"" + address + "\"",
                "socket-group = \"postfix\"", // Postfix's smtpd runs as user postfix
                "[listen]",
                "enabled = false",
                "[signing]",
                "keys = \"" + keys + "\"",
                "[dns]",
                "resolver = \"" + dns.address() + "\"",
                ""));
    return RelayProcess.start(
        Path.of(config.toString().replace(".toml", ".log")),
        List.of("-Xmx256m"),
        "run",
        "--config",
        config.toString());
  }

  /** {@link #WARM_UP} of the measured load, unmeasured. */
  private void warmUp(PostfixInstance postfix, int submitPort, String who) throws Exception {
    long end = System.nanoTime() + WARM_UP.toNanos();
    while (System.nanoTime() < end) {
      untilDelivered(postfix, submitPort, who + " warm-up");
    }
  }

  /** Messages per second from the first message submitted until Postfix's queue is empty. */
  private double untilDelivered(PostfixInstance postfix, int submitPort, String who)
      throws Exception {
    return BenchTools.untilQueueEmpty(postfix, submitPort, load, RUN_LIMIT, who);
  }

  private void verifySample(
      String who, RecordingUpstream sample, int submitPort, Map<String, String> records)
      throws Exception {
    int count = 20;
    Process source = BenchTools.startSmtpSource(submitPort, new Load("10 KB", 10 * 1024, 4, count));
    source.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS);
    List<RecordingUpstream.Transaction> arrived =
        sample.awaitTransactions(count, Duration.ofSeconds(60));
    BenchTools.verifySample(work, who, arrived, records);
    notes.add(
        who + ": " + count + " sample messages delivered, every signature verified by dkimpy");
  }

  private void print() {
    System.out.printf(
        Locale.ROOT,
        "%nPostfix side by side: smtp-source -> Postfix -> smtp-sink, %s, %d messages, RSA-2048,"
            + " median of %d%n",
        load.label(),
        load.messages(),
        REPEATS);
    BenchTools.printRows(rows);
    Row opendkim = rows.get("postfix + opendkim (milter, unix)");
    for (String milter :
        List.of("postfix + dkimrelay (milter, inet)", "postfix + dkimrelay (milter, unix)")) {
      target(milter + " / opendkim, rows", rows.get(milter).rate() / opendkim.rate(), 1.3);
      String side = milter.contains("inet") ? "dkimrelay inet" : "dkimrelay unix";
      target(milter + " / opendkim, interleaved", interleaved.get(side), 1.3);
      target(
          milter + ": signer CPU / opendkim's",
          rows.get(milter).signerCpu() / opendkim.signerCpu(),
          -1.0);
    }
    target(
        "postfix + dkimrelay (milter, unix) / postfix alone",
        rows.get("postfix + dkimrelay (milter, unix)").rate()
            / rows.get("postfix alone (no signing)").rate(),
        0.85);
    notes.forEach(System.out::println);
  }

  /** {@code wanted} below 0: the ratio must be at most {@code -wanted}. */
  private static void target(String what, double ratio, double wanted) {
    boolean met = wanted < 0 ? ratio <= -wanted : ratio >= wanted;
    System.out.printf(
        Locale.ROOT,
        "%-62s %5.2f  (target %s %.2f: %s)%n",
        what,
        ratio,
        wanted < 0 ? "<=" : ">=",
        Math.abs(wanted),
        met ? "met" : "MISSED");
  }
}
