package org.dkimrelay.relay.milter;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.mta.PostfixInstance;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;

/**
 * scripts/bench hostile: real Postfix traffic through the dkimrelay milter (-Xmx256m) for a bounded
 * time while hostile local peers hammer the same milter port: packets declaring 1 MiB and sending
 * nothing, idle connections, 1 MiB macros without end, header blocks of 3.75 MiB, random bytes.
 * Every message Postfix accepted (250) must arrive signed, and nothing it accepted may be lost; a
 * sample is verified by dkimpy. Prints the figures; exits non-zero when a message was lost or
 * unsigned, or the relay died.
 */
final class HostileSoak {
  private static final Pattern MESSAGE_ID =
      Pattern.compile("Message-ID: <(soak-\\d+)@example.com>");
  private static final Duration DRAIN = Duration.ofMinutes(3);

  private final long deadline;
  private final int milterPort;
  private final Map<String, AtomicLong> hostile = new ConcurrentSkipListMap<>();
  private final Set<String> accepted = ConcurrentHashMap.newKeySet();
  private final AtomicLong tempfailed = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();

  private HostileSoak(Duration soak, int milterPort) {
    this.deadline = System.nanoTime() + soak.toNanos();
    this.milterPort = milterPort;
  }

  public static void main(String[] args) throws Exception {
    Duration soak = Duration.ofSeconds(args.length > 0 ? Long.parseLong(args[0]) : 60);
    Path work = Files.createTempDirectory(Path.of("/tmp"), "dkimrelay-hostile-soak-");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    DkimKey key =
        new DkimKeyGenerator(new SecureRandom())
            .generate(
                SigningDomain.parse("example.com"), Selector.parse("r1"), KeyAlgorithm.RSA, 2048);
    new KeyDirectory(work.resolve("keys")).store(key, key.txtRecord(3600));
    Path config =
        RelayConfigFile.write(
            work.resolve("relay.toml"),
            9,
            work.resolve("keys"),
            "enabled = false\n",
            "[milter]\naddress = \"inet:127.0.0.1:0\"\nmax-sessions = 400\ntimeout = \"5s\"\n");
    try (RelayProcess relay =
            RelayProcess.start(
                work.resolve("relay.log"), List.of("-Xmx256m"), "run", "--config", config + "");
        RecordingUpstream sink = RecordingUpstream.start()) {
      int submit = freePort();
      try (PostfixInstance postfix = PostfixInstance.create(submit, sink.port())) {
        postfix.set(
            "milter_default_action=tempfail", "smtpd_milters=inet:127.0.0.1:" + relay.milterPort());
        postfix.start();
        HostileSoak soakRun = new HostileSoak(soak, relay.milterPort());
        soakRun.run(submit);
        soakRun.report(
            relay, postfix, sink, Map.of("r1._domainkey.example.com", key.record().value()), work);
      }
    }
  }

  private void run(int submitPort) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    threads.add(start("declares 1 MiB, sends nothing", () -> batches(true)));
    threads.add(start("idle, no negotiation", () -> batches(false)));
    threads.add(start("1 MiB macros", this::macros));
    threads.add(start("3.75 MiB header blocks", this::headerBlocks));
    threads.add(start("random bytes", this::garbage));
    for (int i = 0; i < 4; i++) {
      threads.add(start("real", () -> submit(submitPort)));
    }
    for (Thread thread : threads) {
      thread.join();
    }
  }

  private interface Load {
    void run() throws IOException;
  }

  private Thread start(String name, Load load) {
    hostile.putIfAbsent(name, new AtomicLong());
    Thread thread =
        new Thread(
            () -> {
              while (!over()) {
                try {
                  load.run();
                } catch (IOException e) {
                  // the milter closed on us, as it should: try again until the deadline
                }
              }
            },
            name);
    thread.start();
    return thread;
  }

  private boolean over() {
    return System.nanoTime() > deadline;
  }

  private void count(String kind) {
    hostile.get(kind).incrementAndGet();
  }

  /** 100 connections at once, each idle or declaring 1 MiB; waits until the milter frees them. */
  private void batches(boolean declare) throws IOException {
    String kind = declare ? "declares 1 MiB, sends nothing" : "idle, no negotiation";
    List<MilterClient> batch = new ArrayList<>();
    try {
      for (int i = 0; i < 100 && !over(); i++) {
        MilterClient client = MilterClient.connect(milterPort);
        batch.add(client);
        if (declare) {
          client.negotiate();
          client.sendRaw(new byte[] {0x00, 0x10, 0x00, 0x00, MilterProtocol.HEADER});
        }
        count(kind);
      }
      for (MilterClient client : batch) {
        client.closedWithin(Duration.ofSeconds(40));
      }
    } finally {
      for (MilterClient client : batch) {
        client.close();
      }
    }
  }

  private void macros() throws IOException {
    try (MilterClient client = MilterClient.connect(milterPort)) {
      client.negotiate();
      for (int i = 0; !over(); i++) {
        client.send(MilterClient.mebibyteMacro("{m" + i + "}"));
        count("1 MiB macros");
      }
    }
  }

  private void headerBlocks() throws IOException {
    MilterPacket field = MilterClient.fillerHeader();
    try (MilterClient client = MilterClient.connect(milterPort)) {
      client.negotiate();
      client.startMessage();
      for (int k = 0; k < 60; k++) {
        client.send(field);
      }
      client.endMessage(); // signed if it fitted the budget, else 452 4.3.1
      count("3.75 MiB header blocks");
    }
  }

  private void garbage() throws IOException {
    byte[] noise = new byte[4096];
    new SecureRandom().nextBytes(noise);
    try (Socket socket = new Socket("127.0.0.1", milterPort)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(noise);
      while (socket.getInputStream().read() >= 0) {
        // until the milter closes
      }
    }
    count("random bytes");
  }

  /** One submission session: messages with unique Message-IDs until the deadline. */
  private void submit(int port) throws IOException {
    try (SmtpTestClient client = SmtpTestClient.connect(port)) {
      client.reply();
      client.command("EHLO client.test");
      while (!over()) {
        String id = "soak-" + sequence.incrementAndGet();
        byte[] message =
            ("From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: soak\r\n"
                    + "Message-ID: <"
                    + id
                    + "@example.com>\r\n\r\n"
                    + "A real message among hostile peers.\r\n".repeat(200))
                .getBytes(StandardCharsets.US_ASCII);
        String reply = client.sendMail("alice@example.com", "bob@example.org", message);
        if (reply.startsWith("250")) {
          accepted.add(id);
        } else {
          tempfailed.incrementAndGet(); // the client keeps it and retries: not accepted
          client.command("RSET");
        }
      }
      client.command("QUIT");
    }
  }

  private void report(
      RelayProcess relay,
      PostfixInstance postfix,
      RecordingUpstream sink,
      Map<String, String> records,
      Path work)
      throws Exception {
    long drainEnd = System.nanoTime() + DRAIN.toNanos();
    while (!postfix.queue().isEmpty() && System.nanoTime() < drainEnd) {
      postfix.flush();
      Thread.sleep(1000); // polling Postfix's queue, an outside process
    }
    Set<String> delivered = ConcurrentHashMap.newKeySet();
    long unsigned = 0;
    List<byte[]> sample = new ArrayList<>();
    for (RecordingUpstream.Transaction transaction : sink.transactions()) {
      String text = new String(transaction.content(), StandardCharsets.ISO_8859_1);
      Matcher id = MESSAGE_ID.matcher(text);
      if (id.find()) {
        delivered.add(id.group(1));
      }
      if (!text.startsWith("DKIM-Signature:") && !text.contains("\r\nDKIM-Signature:")) {
        unsigned++;
      } else if (sample.size() < 20) {
        sample.add(transaction.content());
      }
    }
    Path batch = Files.createDirectories(work.resolve("sample"));
    for (int i = 0; i < sample.size(); i++) {
      Files.write(batch.resolve(i + ".eml"), sample.get(i));
    }
    ExternalTool.Result dkimpy = Oracles.dkimpyVerifyDirectory(batch, records);
    long passed = dkimpy.out().lines().filter(line -> line.contains(": pass ")).count();
    Set<String> lost = ConcurrentHashMap.newKeySet();
    lost.addAll(accepted);
    lost.removeAll(delivered);
    boolean alive = relay.process().isAlive();

    System.out.println("hostile peers against the milter, connections or packets:");
    hostile.forEach(
        (kind, n) -> {
          if (!kind.equals("real")) {
            System.out.printf(Locale.ROOT, "  %-32s %d%n", kind, n.get());
          }
        });
    System.out.printf(
        Locale.ROOT,
        "real mail: %d accepted by Postfix, %d tempfailed at submission (the client retries)%n",
        accepted.size(),
        tempfailed.get());
    System.out.printf(
        Locale.ROOT,
        "delivered: %d, unsigned: %d, lost: %d, still queued: %d; dkimpy: %d of %d pass%n",
        delivered.size(),
        unsigned,
        lost.size(),
        postfix.queue().size(),
        passed,
        sample.size());
    System.out.printf(
        Locale.ROOT,
        "relay: %s, peak RSS %d MB (-Xmx256m)%n",
        alive ? "alive" : "DEAD",
        relay.peakResidentKilobytes() / 1024);
    if (!lost.isEmpty() || unsigned > 0 || !alive || passed < sample.size() || accepted.isEmpty()) {
      System.out.println("FAILED");
      System.exit(1);
    }
    System.out.println("ok: every accepted message arrived signed");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
