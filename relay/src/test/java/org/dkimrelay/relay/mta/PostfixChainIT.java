package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.cli.Corpus;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
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
 * Real Postfix chained to dkimrelay by scripts/postfix-chain --content-filter --apply: smtp-source
 * → Postfix (submission) → dkimrelay → Postfix (reinjection) → sink. Nothing may be lost, whatever
 * happens to the relay; everything that arrives is signed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostfixChainIT {
  private static final Duration LONG = Duration.ofSeconds(180);
  private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-Id: (<[^>]+>)");
  private static final Pattern SUBJECT = Pattern.compile("(?im)^Subject: (\\S+)");

  @TempDir static Path dir;
  private static int submitPort;
  private static int relayPort;
  private static PostfixInstance postfix;
  private static RecordingUpstream sink;
  private static RelayProcess relay;
  private static Path relayConfig;

  @BeforeAll
  static void chain() throws Exception {
    sink = RecordingUpstream.start();
    submitPort = freePort();
    relayPort = freePort();
    int reinjectPort = freePort();
    postfix = PostfixInstance.create(submitPort, sink.port());
    ExternalTool.Result applied =
        ExternalTool.run(
            List.of(
                Path.of("..", "scripts", "postfix-chain").toAbsolutePath().toString(),
                "--content-filter",
                "--apply",
                "-c",
                postfix.config().toString(),
                "--relay",
                "127.0.0.1:" + relayPort,
                "--reinject",
                "127.0.0.1:" + reinjectPort,
                "--services",
                "127.0.0.1:" + submitPort + "/inet pickup/unix"));
    assertThat(applied.exit()).as(applied.toString()).isZero();
    postfix.start();
    relayConfig =
        Files.writeString(
            dir.resolve("dkimrelay.toml"),
            "[listen]\naddress = \"127.0.0.1:"
                + relayPort
                + "\"\n[upstream]\naddress = \"127.0.0.1:"
                + reinjectPort
                + "\"\n[signing]\nkeys = \""
                + dir.resolve("keys")
                + "\"\n"
                + RelayConfigFile.noResolver());
    relay = startRelay();
  }

  @AfterAll
  static void unchain() throws IOException {
    if (relay != null) {
      relay.close();
    }
    if (postfix != null) {
      postfix.close();
    }
    if (sink != null) {
      sink.close();
    }
  }

  private static RelayProcess startRelay() throws IOException {
    return RelayProcess.start(
        dir.resolve("relay.log"),
        List.of("-Xmx256m"),
        "run",
        "--config",
        relayConfig.toString(),
        "--domain",
        "example.com");
  }

  @Test
  @Order(1)
  void theChainCheckPassesAfterApply() {
    ExternalTool.Result check =
        ExternalTool.run(
            List.of(
                Path.of("..", "scripts", "postfix-chain").toAbsolutePath().toString(),
                "--content-filter",
                "--check",
                "-c",
                postfix.config().toString(),
                "--relay",
                "127.0.0.1:" + relayPort,
                "--reinject",
                "127.0.0.1:" + relayPort,
                "--services",
                "127.0.0.1:" + submitPort + "/inet pickup/unix"));
    // the reinjection port given here is not the one applied, so exactly that is reported
    assertThat(check.exit()).isEqualTo(1);
    assertThat(check.out())
        .contains("missing: master.cf service 127.0.0.1:" + relayPort + "/inet")
        .contains("ok: master.cf service dkimrelay/unix");
  }

  @Test
  @Order(2)
  void longLinesArriveSignedAndVerifiedAfterPostfixBreaksThem() throws Exception {
    List<Corpus.Message> messages = Corpus.longLines();
    int before = sink.transactions().size();
    try (SmtpTestClient client = SmtpTestClient.connect(submitPort)) {
      client.reply();
      client.command("EHLO client.test");
      for (Corpus.Message message : messages) {
        assertThat(client.sendMail("alice@example.com", "bob@example.org", message.bytes()))
            .as(message.name())
            .startsWith("250");
      }
    }
    List<RecordingUpstream.Transaction> arrived =
        sink.awaitTransactions(before + messages.size(), Duration.ofSeconds(120));
    for (RecordingUpstream.Transaction transaction : arrived.subList(before, arrived.size())) {
      byte[] delivered = transaction.content();
      String text = new String(delivered, StandardCharsets.ISO_8859_1);
      assertThat(text.lines()).allMatch(line -> line.length() <= 998);
      ExternalTool.Result dkimpy = Oracles.dkimpyVerify(delivered, relay.records());
      assertThat(dkimpy.out()).as(dkimpy.toString()).contains("pass d=example.com");
      ExternalTool.Result perl = Oracles.mailDkimVerify(delivered, relay.records());
      assertThat(perl.out()).as(perl.toString()).contains("pass d=example.com");
    }
  }

  @Test
  @Order(2)
  void fiveHundredMessagesAndRealMimeMailArriveSignedAndVerified() throws Exception {
    int before = sink.transactions().size();
    sendWithSmtpSource("bulk", 500, 8);
    byte[][] mime = {
      mime(
          "multipart/alternative; boundary=\"b\"",
          "--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n"),
      mime("text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit", "Grüße, naïveté ✓\r\n"),
      mime(
          "application/octet-stream\r\nContent-Transfer-Encoding: base64",
          java.util.Base64.getMimeEncoder().encodeToString(new byte[300_000]) + "\r\n"),
    };
    try (SmtpTestClient client = SmtpTestClient.connect(submitPort)) {
      client.reply();
      client.command("EHLO client.test");
      for (byte[] message : mime) {
        SmtpTestClient.expect(
            client.sendMail("alice@example.com", "bob@example.org", message), "250");
      }
    }
    List<RecordingUpstream.Transaction> arrived = sink.awaitTransactions(before + 503, LONG);
    Map<String, Integer> bulk = verifyAll(arrived.subList(before, arrived.size()), "bulk");
    assertThat(bulk).hasSize(500);
    assertThat(bulk.values()).allMatch(count -> count == 1);
    assertThat(verifyAll(arrived.subList(before, arrived.size()), "mime")).hasSize(3);
  }

  @Test
  @Order(3)
  void relayDownDefersEverythingAndTheQueueDeliversItOnceWhenItIsBack() throws Exception {
    int before = sink.transactions().size();
    relay.close(); // SIGTERM: a clean stop
    sendWithSmtpSource("outage", 20, 4);
    awaitQueued(20);
    assertThat(sink.transactions()).hasSize(before); // nothing went past the relay, nothing lost

    relay = startRelay();
    postfix.flush();
    List<RecordingUpstream.Transaction> arrived = sink.awaitTransactions(before + 20, LONG);
    awaitQueued(0);
    Map<String, Integer> outage = verifyAll(arrived.subList(before, arrived.size()), "outage");
    assertThat(outage).hasSize(20);
    assertThat(outage.values()).allMatch(count -> count == 1);
  }

  @Test
  @Order(4)
  void sigkillInTheMiddleOfARunLosesNothing() throws Exception {
    int before = sink.transactions().size();
    Process source = startSmtpSource("killed", 300, 8);
    sink.awaitTransactions(before + 60, LONG);
    relay.kill(); // SIGKILL while Postfix is handing it mail
    relay = startRelay();
    assertThat(source.waitFor(LONG.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    awaitQueued(0); // retries every few seconds (minimal_backoff_time = 2s); flush speeds it up
    Map<String, Integer> killed =
        verifyAll(sink.transactions().subList(before, sink.transactions().size()), "killed");
    assertThat(killed).hasSize(300); // every message delivered
    long duplicates =
        killed.values().stream().mapToInt(Integer::intValue).filter(count -> count > 1).count();
    // A kill after upstream's 250 and before ours can make Postfix send that message again: at
    // most the transactions in flight, one per filter process (maxproc 10).
    assertThat(duplicates).isLessThanOrEqualTo(10);
    System.out.println("SIGKILL run: 300 messages delivered, " + duplicates + " delivered twice");
  }

  /**
   * The soak (scripts/soak runs it longer): continuous smtp-source load into Postfix while the
   * relay is SIGKILLed and restarted several times; afterwards every message sent was delivered,
   * and every delivered one verifies. Load comes in bounded batches, paced by Postfix's queue.
   */
  @Test
  @Order(5)
  void soakWithRepeatedSigkillsLosesNothingAndLetsNothingThroughUnsigned() throws Exception {
    Duration soak = Duration.ofSeconds(Long.getLong("dkimrelay.soak.seconds", 30));
    int kills = Integer.getInteger("dkimrelay.soak.kills", 3);
    int batch = 100;
    int before = sink.transactions().size();
    long start = System.nanoTime();
    long end = start + soak.toNanos();
    long killEvery = soak.toNanos() / (kills + 1);
    int sent = 0;
    int killed = 0;
    while (System.nanoTime() < end) {
      Process source = startSmtpSource("soak", batch, 4);
      // Until Postfix took the batch and the chain caught up (continuous load, not a backlog).
      while (source.isAlive() || (postfix.queue().size() > batch && System.nanoTime() < end)) {
        if (killed < kills && System.nanoTime() - start > killEvery * (killed + 1)) {
          relay.kill();
          relay = startRelay();
          killed++;
        }
        assertThat(System.nanoTime() - end).as("a batch ends in time").isLessThan(LONG.toNanos());
        Thread.sleep(200); // polling outside processes: no event to wait on
      }
      assertThat(source.exitValue()).isZero(); // Postfix took the whole batch
      sent += batch;
    }
    awaitQueued(0);
    Map<String, Integer> delivered =
        verifyAll(sink.transactions().subList(before, sink.transactions().size()), "soak");
    long duplicates = delivered.values().stream().filter(count -> count > 1).count();
    System.out.printf(
        "soak: %d s, %d relay SIGKILLs, %d messages sent, %d delivered (all verified), %d twice%n",
        soak.toSeconds(), killed, sent, delivered.size(), duplicates);
    assertThat(killed).isEqualTo(kills);
    assertThat(delivered).hasSize(sent);
    assertThat(duplicates).isLessThanOrEqualTo(10L * kills);
  }

  private static void sendWithSmtpSource(String subject, int messages, int sessions)
      throws Exception {
    Process source = startSmtpSource(subject, messages, sessions);
    assertThat(source.waitFor(LONG.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(source.exitValue()).isZero();
  }

  private static Process startSmtpSource(String subject, int messages, int sessions)
      throws IOException {
    return new ProcessBuilder(
            "/usr/sbin/smtp-source",
            "-s",
            "" + sessions,
            "-m",
            "" + messages,
            "-S",
            subject,
            "-f",
            "alice@example.com",
            "-t",
            "bob@example.org",
            "-M",
            "client.test",
            "127.0.0.1:" + submitPort)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("smtp-source-" + subject + ".log").toFile())
        .start();
  }

  /** Waits until Postfix's queue holds exactly {@code count} messages (bounded). */
  private static void awaitQueued(int count) throws InterruptedException {
    long deadline = System.nanoTime() + LONG.toNanos();
    while (postfix.queue().size() != count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "queue holds "
                + postfix.queue().size()
                + ", expected "
                + count
                + "\n"
                + tail(postfix.log()));
      }
      if (count == 0) {
        postfix.flush();
      }
      Thread.sleep(250); // polling Postfix's queue, an outside process: no event to wait on
    }
  }

  /**
   * Checks that every arrived message of {@code subject} is signed and verifies with dkimpy and
   * Mail::DKIM; returns how often each message (by Message-Id) arrived.
   */
  private static Map<String, Integer> verifyAll(
      List<RecordingUpstream.Transaction> arrived, String subject) throws IOException {
    Path batch = Files.createDirectories(dir.resolve("verify-" + subject));
    Map<String, Integer> seen = new HashMap<>();
    int n = 0;
    for (RecordingUpstream.Transaction transaction : arrived) {
      String text = new String(transaction.content(), StandardCharsets.ISO_8859_1);
      Matcher subjectMatch = SUBJECT.matcher(text);
      if (subjectMatch.find() && !subjectMatch.group(1).equals(subject)) {
        continue;
      }
      Files.write(batch.resolve(String.format("%04d.eml", n++)), transaction.content());
      Matcher id = MESSAGE_ID.matcher(text);
      seen.merge(id.find() ? id.group(1) : "message " + n, 1, Integer::sum);
    }
    ExternalTool.Result dkimpy = Oracles.dkimpyVerifyDirectory(batch, relay.records());
    assertThat(dkimpy.exit()).as(dkimpy.out() + dkimpy.stderr()).isZero();
    assertThat(dkimpy.out().lines().filter(l -> l.contains(": pass d=example.com s="))).hasSize(n);
    ExternalTool.Result perl = Oracles.mailDkimVerifyDirectory(batch, relay.records());
    assertThat(perl.exit()).as(perl.out() + perl.stderr()).isZero();
    return seen;
  }

  private static byte[] mime(String contentType, String body) {
    return ("From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: mime\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: "
            + contentType
            + "\r\n\r\n"
            + body)
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String tail(String log) {
    return log.length() > 3000 ? log.substring(log.length() - 3000) : log;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
