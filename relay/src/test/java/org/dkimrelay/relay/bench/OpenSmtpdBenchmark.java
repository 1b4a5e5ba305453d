package org.dkimrelay.relay.bench;

import static org.dkimrelay.relay.bench.BenchTools.cpuMillis;
import static org.dkimrelay.relay.bench.BenchTools.freePort;
import static org.dkimrelay.relay.bench.BenchTools.machineBusyMillis;

import java.nio.file.Files;
import java.nio.file.Path;
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
import org.dkimrelay.relay.bench.BenchTools.Row;
import org.dkimrelay.relay.mta.OpenSmtpdInstance;
import org.dkimrelay.relay.mta.PostfixInstance;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayProcess;

/**
 * OpenSMTPD side by side (scripts/bench opensmtpd): smtp-source → smtpd → sink with no signer, with
 * the dkimrelay filter, and with the relay chain through the dkimrelay proxy (as conf/opensmtpd
 * ships them), then Postfix with the dkimrelay milter under the same load, so the filter's cost per
 * message stands beside the milter's; the signer's own CPU per message and the machine's. The first
 * messages of each row are verified by dkimpy.
 */
final class OpenSmtpdBenchmark {
  private static final Duration RUN_LIMIT = Duration.ofMinutes(5);
  private static final int REPEATS = 3;

  private final Path work;
  private final Load load;
  private final Map<String, Row> rows = new LinkedHashMap<>();

  private OpenSmtpdBenchmark(Path work, double scale) {
    this.work = work;
    this.load = new Load("10 KB", 10 * 1024, 16, Math.max(100, (int) (600 * scale)));
  }

  public static void main(String[] args) throws Exception {
    Path work = OpenSmtpdInstance.directory();
    try {
      new OpenSmtpdBenchmark(work, args.length > 0 ? Double.parseDouble(args[0]) : 1).run();
    } finally {
      OpenSmtpdInstance.delete(work); // its keys and queue copies are this run's only
    }
  }

  private void run() throws Exception {
    Path keys = work.resolve("keys");
    DkimKey rsa = BenchTools.generate(KeyAlgorithm.RSA, "r1");
    new KeyDirectory(keys).store(rsa, rsa.txtRecord(3600));
    Map<String, String> records = Map.of("r1._domainkey.example.com", rsa.record().value());
    int dnsPort = Dnsmasq.freeUdpPort();
    try (Dnsmasq dns =
        Dnsmasq.start(List.of("local=/example.com/"), work.resolve("dns"), dnsPort)) {
      // the filter asks DNS which keys are published: dnsmasq on 127.0.0.1, never the system's
      Path filterConfig =
          Files.writeString(
              work.resolve("filter.toml"),
              "[signing]\nkeys = \"" + keys + "\"\n[dns]\nresolver = \"" + dns.address() + "\"\n");
      ExternalTool.chown("opensmtpd", work); // the filter runs as smtpd's user
      measure("opensmtpd alone (no signing)", "", "", -1, Map.of());
      String filter =
          String.join(
              " ",
              RelayProcess.command(
                  RelayProcess.copyJar(work),
                  List.of("-Xmx256m"),
                  "opensmtpd-filter",
                  "--config",
                  filterConfig.toString()));
      measure(
          "opensmtpd + dkimrelay (filter)",
          "filter \"dkim\" proc-exec \"" + filter + "\"\n",
          " filter \"dkim\"",
          0,
          records);
      ExternalTool.chown("root", keys); // the proxy runs as this user, not smtpd's
      int tagged = freePort();
      Path proxyConfig =
          Files.writeString(
              work.resolve("proxy.toml"),
              "[listen]\naddress = \"127.0.0.1:0\"\n[upstream]\naddress = \"127.0.0.1:"
                  + tagged
                  + "\"\n[signing]\nkeys = \""
                  + keys
                  + "\"\n[dns]\nresolver = \""
                  + dns.address()
                  + "\"\n");
      try (RelayProcess proxy =
          RelayProcess.start(
              work.resolve("proxy.log"),
              List.of("-Xmx256m"),
              "run",
              "--config",
              proxyConfig.toString())) {
        chain = new Chain(tagged, proxy.port());
        measure("opensmtpd + dkimrelay (relay chain)", "", "", proxy.process().pid(), records);
        chain = null;
      }
      measureMilter(keys, dns, records);
    }
    print();
  }

  /**
   * For the filter's cost beside the milter's, in the same run: Postfix with the dkimrelay milter
   * on a unix socket (as scripts/bench postfix measures it), the same load; the signer's CPU per
   * message. Postfix relays as fast as it accepts, so its rate is until its queue is empty.
   */
  private void measureMilter(Path keys, Dnsmasq dns, Map<String, String> records) throws Exception {
    String who = "postfix + dkimrelay (milter, unix)";
    Path socket = work.resolve("milter.sock");
    Path config =
        Files.writeString(
            work.resolve("milter.toml"),
            "[milter]\naddress = \"unix:"
                + socket
                + "\"\nsocket-group = \"postfix\"\n[listen]\nenabled = false\n[signing]\nkeys = \""
                + keys
                + "\"\n[dns]\nresolver = \""
                + dns.address()
                + "\"\n");
    List<Row> measured = new ArrayList<>();
    int submitPort = freePort();
    try (RelayProcess relay =
            RelayProcess.start(
                work.resolve("milter.log"),
                List.of("-Xmx256m"),
                "run",
                "--config",
                config.toString());
        RecordingUpstream sink = RecordingUpstream.start();
        PostfixInstance postfix = PostfixInstance.create(submitPort, sink.port())) {
      postfix.set(
          "milter_default_action=tempfail",
          "default_process_limit=100",
          "smtpd_milters=unix:" + socket);
      postfix.start();
      long pid = relay.process().pid();
      BenchTools.untilQueueEmpty(
          postfix, submitPort, new Load("10 KB", 10 * 1024, 16, 300), RUN_LIMIT, who);
      BenchTools.verifySample(work, who, sink.transactions().subList(0, 20), records);
      for (int i = 0; i < REPEATS; i++) {
        long signer0 = cpuMillis(pid);
        long machine0 = machineBusyMillis();
        double rate = BenchTools.untilQueueEmpty(postfix, submitPort, load, RUN_LIMIT, who);
        measured.add(
            new Row(
                rate,
                (cpuMillis(pid) - signer0) / (double) load.messages(),
                (machineBusyMillis() - machine0) / (double) load.messages()));
      }
      sink.awaitTransactions(300 + REPEATS * load.messages(), RUN_LIMIT);
    }
    measured.sort(java.util.Comparator.comparingDouble(Row::rate));
    rows.put(who, measured.get(REPEATS / 2));
    System.out.println(who + ": " + measured.get(REPEATS / 2));
  }

  /** Until smtpd's queue holds nothing (bounded): a message counted at the sink may be a copy. */
  private static void awaitEmptyQueue() throws Exception {
    long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
    while (OpenSmtpdInstance.queuedFiles() > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("smtpd's queue still holds mail after " + RUN_LIMIT);
      }
      Thread.sleep(200);
    }
  }

  private record Chain(int tagged, int proxyPort) {}

  private Chain chain;

  /** {@code signerPid} 0: the filter, a child of smtpd, found once smtpd is up; -1: none. */
  private void measure(
      String who, String filterLine, String onListener, long signerPid, Map<String, String> records)
      throws Exception {
    List<Row> measured = new ArrayList<>();
    try (RecordingUpstream sink = RecordingUpstream.start()) {
      int port = freePort();
      Path config =
          Files.writeString(
              work.resolve("smtpd.conf"), config(filterLine, onListener, port, sink.port()));
      try (OpenSmtpdInstance smtpd =
          OpenSmtpdInstance.start(config, port, work.resolve("smtpd.log"))) {
        long pid = signerPid == 0 ? filterPid() : signerPid;
        Load warmUp = new Load("10 KB", 10 * 1024, 16, 300); // a filter is a long-running JVM
        run(port, warmUp, sink);
        sink.awaitTransactions(warmUp.messages(), RUN_LIMIT);
        if (!records.isEmpty()) {
          BenchTools.verifySample(work, who, sink.transactions().subList(0, 20), records);
        }
        for (int i = 0; i < REPEATS; i++) {
          long signer0 = pid < 0 ? 0 : cpuMillis(pid);
          long machine0 = machineBusyMillis();
          double rate = run(port, load, sink);
          if (!smtpd.alive()) {
            throw new IllegalStateException(who + ": smtpd stopped: " + smtpd.log());
          }
          measured.add(
              new Row(
                  rate,
                  pid < 0 ? 0 : (cpuMillis(pid) - signer0) / (double) load.messages(),
                  (machineBusyMillis() - machine0) / (double) load.messages()));
        }
        // every message must arrive; smtpd relays at its own pace after accepting
        sink.awaitTransactions(warmUp.messages() + REPEATS * load.messages(), RUN_LIMIT);
        awaitEmptyQueue(); // and none stay behind for the next row (or the next test run)
      }
    }
    measured.sort(java.util.Comparator.comparingDouble(Row::rate));
    rows.put(who, measured.get(REPEATS / 2));
    System.out.println(who + ": " + measured.get(REPEATS / 2)); // as it goes: a row is minutes
  }

  /**
   * Messages per second. Without the chain: from the first one sent until smtpd has accepted them
   * all, which with the filter means signed (it signs before smtpd answers DATA); smtpd's own
   * relaying afterwards is paced by its compiled-in connection limits (a new connection to a relay
   * host 5 s after the last, 100 mails a session), which would bound every row alike and hide the
   * signer. With the chain, signing happens on the second hop: until the sink has them all. Every
   * message must reach the sink either way (checked at the end of the row).
   */
  private double run(int port, Load load, RecordingUpstream sink) throws Exception {
    int before = sink.transactions().size();
    long start = System.nanoTime();
    Process source = BenchTools.startSmtpSource(port, load);
    if (!source.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS) || source.exitValue() != 0) {
      throw new IllegalStateException("smtp-source failed");
    }
    if (chain != null) {
      sink.awaitTransactions(before + load.messages(), RUN_LIMIT);
    }
    return load.messages() / ((System.nanoTime() - start) / 1e9);
  }

  private String config(String filterLine, String onListener, int port, int sinkPort)
      throws Exception {
    if (chain == null) {
      return filterLine
          + "listen on 127.0.0.1 port "
          + port
          + onListener
          + "\n"
          + "action \"out\" relay host smtp://127.0.0.1:"
          + sinkPort
          + "\n"
          + "match from any for any action \"out\"\n";
    }
    String shipped = Files.readString(Path.of("..", "conf", "opensmtpd", "smtpd.conf"));
    return "listen on 127.0.0.1 port "
        + port
        + "\n"
        + shipped
            .replace("listen on lo port 10028", "listen on 127.0.0.1 port " + chain.tagged())
            .replace("smtp://127.0.0.1:10027", "smtp://127.0.0.1:" + chain.proxyPort())
            .replace(
                "action \"outbound\" relay",
                "action \"outbound\" relay host smtp://127.0.0.1:" + sinkPort);
  }

  private static long filterPid() {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains("opensmtpd-filter"))
        .mapToLong(ProcessHandle::pid)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no opensmtpd-filter process"));
  }

  private void print() {
    System.out.printf(
        Locale.ROOT,
        "%nOpenSMTPD side by side: smtp-source -> smtpd -> sink, %s, %d messages, RSA-2048, median of %d"
            + "%n(msg/s: accepted by smtpd, so signed where the filter runs; the chain: delivered,"
            + " paced by smtpd's relaying)%n",
        load.label(),
        load.messages(),
        REPEATS);
    BenchTools.printRows(rows, "msg/s");
    Row filter = rows.get("opensmtpd + dkimrelay (filter)");
    Row milter = rows.get("postfix + dkimrelay (milter, unix)");
    System.out.printf(
        Locale.ROOT,
        "signer CPU per message, the filter's over the milter's: %.2fx (target at most 1.2x)%n",
        filter.signerCpu() / milter.signerCpu());
    System.out.println("(a sample of 20 messages of each signing row was verified by dkimpy)");
  }
}
