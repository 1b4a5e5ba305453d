package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.cli.Corpus;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Postfix signing through the dkimrelay milter, set up by scripts/postfix-chain --apply as an
 * admin would: clients → Postfix (submission, and sendmail(1) via pickup) → sink. What arrives must
 * pass dkimpy and Mail::DKIM after everything Postfix does to a message after the milter; what is
 * refused is refused by Postfix with our reply; nothing leaves unsigned.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostfixMilterIT {
  private static final Duration LONG = Duration.ofSeconds(180);
  private static final Pattern SIGNATURE = Pattern.compile("(?im)^DKIM-Signature:");
  private static final Pattern SUBJECT = Pattern.compile("(?im)^Subject: (\\S+)");

  @TempDir static Path dir;
  private static int submitPort;
  private static int milterPort;
  private static PostfixInstance postfix;
  private static RecordingUpstream sink;
  private static Dnsmasq dns;
  private static RelayProcess relay;
  private static Path relayConfig;

  @BeforeAll
  static void postfixWithTheMilter() throws Exception {
    sink = RecordingUpstream.start();
    submitPort = freePort();
    milterPort = freePort();
    postfix = PostfixInstance.create(submitPort, sink.port());
    ExternalTool.Result applied = postfixChain("--apply");
    assertThat(applied.exit()).as(applied.toString()).isZero();
    postfix.start();
    // No relay in a test asks the system resolver: an empty local zone answers "no record".
    int dnsPort = Dnsmasq.freeUdpPort();
    dns =
        Dnsmasq.start(
            List.of("local=/example.com/", "local=/example/"), dir.resolve("dns"), dnsPort);
    Path keys = dir.resolve("keys");
    RelayProcess.keygen(keys, "example.com", "r1", "rsa");
    RelayProcess.keygen(keys, "example.com", "e1", "ed25519");
    RelayProcess.keygen(keys, "xn--bcher-kva.example", "r1", "rsa");
    relayConfig =
        Files.writeString(
            dir.resolve("dkimrelay.toml"),
            String.join(
                "\n",
                "[milter]",
                "address = \"inet:127.0.0.1:" + milterPort + "\"",
                "internal = [\"127.0.0.1/32\"]", // 127.0.0.2 plays a client from outside
                "[listen]",
                "enabled = false",
                "[signing]",
                "keys = \"" + keys + "\"",
                "[dns]",
                "resolver = \"" + dns.address() + "\"",
                ""));
    relay = startRelay();
  }

  @AfterAll
  static void stopAll() throws IOException {
    if (relay != null) {
      relay.close();
    }
    if (postfix != null) {
      postfix.close();
    }
    if (sink != null) {
      sink.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  private static ExternalTool.Result postfixChain(String mode) {
    return ExternalTool.run(
        List.of(
            Path.of("..", "scripts", "postfix-chain").toAbsolutePath().toString(),
            mode,
            "-c",
            postfix.config().toString(),
            "--milter",
            "inet:127.0.0.1:" + milterPort,
            "--services",
            "127.0.0.1:" + submitPort + "/inet"));
  }

  private static RelayProcess startRelay() throws IOException {
    RelayProcess started =
        RelayProcess.start(
            dir.resolve("relay.log"),
            List.of("-Xmx256m"),
            "run",
            "--config",
            relayConfig.toString());
    assertThat(started.milterPort()).isEqualTo(milterPort);
    return started;
  }

  @Test
  @Order(1)
  void theMilterCheckPassesAfterApply() {
    ExternalTool.Result check = postfixChain("--check");
    assertThat(check.exit()).as(check.toString()).isZero();
    assertThat(check.out())
        .contains("ok: main.cf milter_default_action = tempfail")
        .contains("ok: main.cf non_smtpd_milters includes inet:127.0.0.1:" + milterPort)
        .contains("-o smtpd_milters includes inet:127.0.0.1:" + milterPort);
  }

  @Test
  @Order(2)
  void theInteropCorpusArrivesSignedAndPassesBothOutsideVerifiers() throws Exception {
    List<Corpus.Message> corpus = Corpus.signable();
    List<byte[]> delivered = CorpusThroughMta.send(submitPort, sink, corpus, LONG);
    for (int i = 0; i < corpus.size(); i++) {
      CorpusThroughMta.verify(corpus.get(i), delivered.get(i), relay.records());
    }
  }

  @Test
  @Order(3)
  void mailFromSendmailIsSignedThroughNonSmtpdMilters() throws Exception {
    int before = sink.transactions().size();
    byte[] message =
        "From: Alice <alice@example.com>\nTo: bob@example.org\nSubject: local\n\nfrom cron\n"
            .getBytes(StandardCharsets.US_ASCII);
    ExternalTool.Result sendmail =
        ExternalTool.run(
            message,
            List.of(
                "/usr/sbin/sendmail",
                "-C",
                postfix.config().toString(),
                "-f",
                "alice@example.com",
                "local@example.org"));
    assertThat(sendmail.exit()).as(sendmail.toString()).isZero();
    byte[] delivered = awaitDeliveryTo("<local@example.org>");
    ExternalTool.Result perl = Oracles.mailDkimVerify(delivered, relay.records());
    assertThat(perl.out()).as(perl.toString()).contains("pass d=example.com s=r1 a=rsa-sha256");
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(delivered, relay.records());
    assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
  }

  @Test
  @Order(4)
  void malformedMailIsRefusedWith550AndAnUnknownDomainPassesUnsigned() throws Exception {
    int before = sink.transactions().size();
    try (SmtpTestClient client = SmtpTestClient.connect(submitPort)) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(client.sendMail("a@example.com", "dup@example.org", Corpus.DUPLICATE_FROM.bytes()))
          .startsWith("550 5.6.0 cannot sign this message: 2 From: header fields");
      assertThat(
              client.sendMail(
                  "x@example.net", "unknown@example.org", Corpus.UNKNOWN_DOMAIN.bytes()))
          .startsWith("250");
    }
    byte[] unknown = awaitDeliveryTo("<unknown@example.org>");
    assertThat(SIGNATURE.matcher(new String(unknown, StandardCharsets.ISO_8859_1)).find())
        .isFalse();
    assertThat(sink.transactions()).hasSize(before + 1); // the refused one never left
  }

  /**
   * Postfix's cleanup adds a From: (the envelope sender) to a local client's message that has none,
   * before the milter sees it: what is delivered has a From, and is signed for it.
   */
  @Test
  @Order(5)
  void aMessageWithoutFromGetsPostfixsFromAndIsSignedForIt() throws Exception {
    try (SmtpTestClient client = SmtpTestClient.connect(submitPort)) {
      client.reply();
      client.command("EHLO client.test");
      assertThat(
              client.sendMail("a@example.com", "nofrom@example.org", Corpus.MISSING_FROM.bytes()))
          .startsWith("250");
    }
    byte[] delivered = awaitDeliveryTo("<nofrom@example.org>");
    assertThat(new String(delivered, StandardCharsets.ISO_8859_1)).contains("From: a@example.com");
    ExternalTool.Result perl = Oracles.mailDkimVerify(delivered, relay.records());
    assertThat(perl.out()).as(perl.toString()).contains("pass d=example.com s=r1 a=rsa-sha256");
  }

  @Test
  @Order(6)
  void mailFromAClientOutsideInternalPassesUnsigned() throws Exception {
    int before = sink.transactions().size();
    try (SmtpTestClient client =
        SmtpTestClient.connectFrom(InetAddress.getByName("127.0.0.2"), submitPort)) {
      client.reply();
      client.command("EHLO outside.test");
      assertThat(
              client.sendMail(
                  "alice@example.com", "outside@example.org", Corpus.signable().get(0).bytes()))
          .startsWith("250");
    }
    byte[] delivered = awaitDeliveryTo("<outside@example.org>");
    assertThat(SIGNATURE.matcher(new String(delivered, StandardCharsets.ISO_8859_1)).find())
        .isFalse();
  }

  @Test
  @Order(7)
  void withTheSignerDownPostfixDefersAndNothingLeavesUnsigned() throws Exception {
    int before = sink.transactions().size();
    relay.close(); // SIGTERM
    try (SmtpTestClient client = SmtpTestClient.connect(submitPort)) {
      client.reply();
      client.command("EHLO client.test");
      // milter_default_action = tempfail: Postfix answers 451 4.7.1 at MAIL and keeps nothing
      assertThat(client.command("MAIL FROM:<alice@example.com>"))
          .startsWith("451 4.7.1 Service unavailable");
    } finally {
      relay = startRelay();
    }
    assertThat(sink.transactions()).hasSize(before);
  }

  /**
   * The signer SIGKILLed while clients send: every message Postfix answered 250 for arrives signed
   * and verified; every other one got a 4xx, so its client still has it; none arrives unsigned.
   */
  @Test
  @Order(8)
  void sigkillUnderLoadLosesNothingAndLetsNothingThroughUnsigned() throws Exception {
    int before = sink.transactions().size();
    int clients = 4;
    int perClient = 60;
    Set<String> accepted = ConcurrentHashMap.newKeySet();
    Set<String> deferred = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      running.add(
          pool.submit(
              () -> {
                send(client, perClient, accepted, deferred);
                return null;
              }));
    }
    sink.awaitTransactions(before + 40, LONG);
    relay.kill(); // SIGKILL while Postfix is talking to it
    relay = startRelay();
    for (Future<?> future : running) {
      future.get(LONG.toSeconds(), TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(accepted).hasSize(clients * perClient); // every message, in the end
    assertThat(deferred).as("the kill hit messages in flight").isNotEmpty();
    List<RecordingUpstream.Transaction> arrived =
        sink.awaitTransactions(before + accepted.size(), LONG);
    Path batch = Files.createDirectories(dir.resolve("killed"));
    Set<String> delivered = ConcurrentHashMap.newKeySet();
    int n = 0;
    for (RecordingUpstream.Transaction transaction : arrived.subList(before, arrived.size())) {
      Matcher subject =
          SUBJECT.matcher(new String(transaction.content(), StandardCharsets.ISO_8859_1));
      assertThat(subject.find()).isTrue();
      delivered.add(subject.group(1));
      Files.write(batch.resolve(String.format("%04d.eml", n++)), transaction.content());
    }
    assertThat(delivered).isEqualTo(accepted);
    assertThat(arrived).hasSize(before + accepted.size()); // each once
    ExternalTool.Result dkimpy = Oracles.dkimpyVerifyDirectory(batch, relay.records());
    assertThat(dkimpy.exit()).as(dkimpy.out() + dkimpy.stderr()).isZero();
    // Debian 12's Mail::DKIM has no Ed25519: its RSA verdict on every message is what counts.
    ExternalTool.Result perl = Oracles.mailDkimVerifyDirectory(batch, relay.records());
    assertThat(perl.out().lines().filter(l -> l.contains(": pass d=example.com s=r1 a=rsa-sha256")))
        .as(perl.out() + perl.stderr())
        .hasSize(n);
    System.out.printf(
        "milter SIGKILL run: %d messages delivered signed, %d of them deferred with 4xx first%n",
        accepted.size(), deferred.size());
  }

  /**
   * The milter on a unix socket whose group is postfix (mode 0660, as Debian's Postfix user reaches
   * OpenDKIM's): Postfix's smtpd connects through it and the mail arrives signed.
   */
  @Test
  @Order(9)
  void aUnixSocketWithGroupPostfixCarriesTheMilterToo() throws Exception {
    // Beside Postfix's queue, where its user can reach it (the test's own directory is 0700).
    Path socket = postfix.config().getParent().resolve("milter.sock");
    Path unixConfig =
        Files.writeString(
            dir.resolve("unix.toml"),
            Files.readString(relayConfig)
                .replace(
                    "address = \"inet:127.0.0.1:" + milterPort + "\"",
                    "address = \"unix:" + socket + "\"\nsocket-group = \"postfix\""));
    try (RelayProcess unix =
        RelayProcess.start(
            dir.resolve("unix.log"),
            List.of("-Xmx128m"),
            "run",
            "--config",
            unixConfig.toString())) {
      assertThat(Files.getPosixFilePermissions(socket))
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
      assertThat(Files.getAttribute(socket, "posix:group").toString()).isEqualTo("postfix");
      PostfixInstance.run(
          "postconf",
          "-c",
          postfix.config().toString(),
          "-P",
          "127.0.0.1:" + submitPort + "/inet/smtpd_milters=unix:" + socket);
      PostfixInstance.run("postfix", "-c", postfix.config().toString(), "reload");
      try (SmtpTestClient client = SmtpTestClient.connect(submitPort)) {
        client.reply();
        client.command("EHLO client.test");
        assertThat(
                client.sendMail(
                    "alice@example.com", "unix@example.org", Corpus.signable().get(0).bytes()))
            .startsWith("250");
      }
      byte[] delivered = awaitDeliveryTo("<unix@example.org>");
      ExternalTool.Result perl = Oracles.mailDkimVerify(delivered, unix.records());
      assertThat(perl.out()).as(perl.toString()).contains("pass d=example.com s=r1 a=rsa-sha256");
    }
  }

  /**
   * Sends {@code count} messages as an MTA would: a message refused with 4xx is tried again in a
   * new session after a short pause, until accepted (bounded by {@link #LONG}).
   */
  private static void send(int client, int count, Set<String> accepted, Set<String> deferred)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + LONG.toNanos();
    SmtpTestClient smtp = session(client);
    for (int i = 0; i < count; i++) {
      String tag = "load-" + client + "-" + i;
      byte[] message =
          ("From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: "
                  + tag
                  + "\r\n\r\n"
                  + "line\r\n".repeat(200))
              .getBytes(StandardCharsets.US_ASCII);
      while (!accepted.contains(tag)) {
        assertThat(System.nanoTime()).as(tag + " accepted in time").isLessThan(deadline);
        String reply;
        try {
          reply = smtp.sendMail("alice@example.com", "bob@example.org", message);
        } catch (AssertionError e) { // MAIL or RCPT refused: "expected 250, got: REPLY"
          reply = e.getMessage().replaceFirst("^expected \\d+, got: ", "");
        }
        if (reply != null && reply.startsWith("250")) {
          accepted.add(tag);
          continue;
        }
        assertThat(reply).as(tag + ": a temporary refusal, never a 5xx").matches("4\\d\\d .*");
        deferred.add(tag);
        // Postfix keeps tempfailing a session whose milter broke: retry later in a new one.
        smtp.close();
        Thread.sleep(200); // the client's retry delay, not synchronisation
        smtp = session(client);
      }
    }
    smtp.command("QUIT");
    smtp.close();
  }

  private static SmtpTestClient session(int client) throws IOException {
    SmtpTestClient smtp = SmtpTestClient.connect(submitPort);
    smtp.reply();
    smtp.command("EHLO client" + client + ".test");
    return smtp;
  }

  /** Waits (bounded) until a message for {@code rcpt} has arrived at the sink. */
  private static byte[] awaitDeliveryTo(String rcpt) throws InterruptedException {
    long deadline = System.nanoTime() + LONG.toNanos();
    while (true) {
      List<RecordingUpstream.Transaction> arrived = sink.transactions();
      if (arrived.stream().anyMatch(t -> t.rcpts().stream().anyMatch(l -> l.contains(rcpt)))
          || System.nanoTime() > deadline) {
        return deliveredTo(arrived, rcpt);
      }
      sink.awaitTransactions(arrived.size() + 1, LONG);
    }
  }

  private static byte[] deliveredTo(List<RecordingUpstream.Transaction> arrived, String rcpt) {
    return arrived.stream()
        .filter(t -> t.rcpts().stream().anyMatch(line -> line.contains(rcpt)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("nothing arrived for " + rcpt + "\n" + postfix.log()))
        .content();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
