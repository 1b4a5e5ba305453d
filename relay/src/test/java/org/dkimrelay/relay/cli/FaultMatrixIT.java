package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows of the fault matrix that need the relay as its own process: a full disk under the spool,
 * and a thousand idle connections against the memory of a small heap.
 */
class FaultMatrixIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final byte[] SMALL =
      "From: alice@example.com\r\nSubject: small\r\n\r\nbody\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  private Path config(int upstreamPort, String listen) throws Exception {
    CliRun.in(
        dir, "keygen", "example.com", "--selector", "r1", "--keys", dir.resolve("keys").toString());
    return RelayConfigFile.write(
        dir.resolve("dkimrelay.toml"), upstreamPort, dir.resolve("keys"), listen, "");
  }

  @Test
  void aFullDiskWhileSpoolingIsATemporaryFailureAndNothingGoesUpstream() throws Exception {
    // The kernel refuses to let the relay's files grow past 2 MB (RLIMIT_FSIZE): the write fails
    // exactly as on a full disk, without needing a filesystem of our own.
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    StringBuilder big = new StringBuilder("From: alice@example.com\r\nSubject: big\r\n\r\n");
    while (big.length() < 5 * 1024 * 1024) {
      big.append("x".repeat(76)).append("\r\n");
    }
    try (RecordingUpstream upstream = RecordingUpstream.start();
        RelayProcess relay =
            RelayProcess.startUnder(
                List.of("prlimit", "--fsize=" + 2 * 1024 * 1024, "--"),
                dir.resolve("relay.log"),
                List.of("-Xmx128m", "-Djava.io.tmpdir=" + tmp),
                "run",
                "--config",
                config(upstream.port(), "").toString());
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      expect(client.reply(), "220");
      expect(client.command("EHLO c"), "250");
      byte[] message = big.toString().getBytes(StandardCharsets.US_ASCII);
      assertThat(client.sendMail("alice@example.com", "bob@example.org", message))
          .isEqualTo("452 4.3.1 insufficient spool space: message kept for retry");
      // The session stays usable, and a message that fits in memory still goes through signed.
      expect(client.sendMail("alice@example.com", "bob@example.org", SMALL), "250");
      List<RecordingUpstream.Transaction> sent = upstream.awaitTransactions(1, WAIT);
      assertThat(sent).hasSize(1);
      assertThat(new String(sent.get(0).content(), StandardCharsets.US_ASCII))
          .startsWith("DKIM-Signature: ")
          .endsWith("Subject: small\r\n\r\nbody\r\n");
      try (Stream<Path> left =
          Files.list(tmp.resolve("dkimrelay-spool-" + System.getProperty("user.name")))) {
        assertThat(left).isEmpty(); // the partial spool file was removed
      }
    }
    assertThat(Files.readString(dir.resolve("relay.log")))
        .contains("cannot write the spool file")
        .contains("File too large");
  }

  @Test
  void aThousandIdleConnectionsFitInASmallHeapAndTheNextGets421() throws Exception {
    int sessions = 1000;
    List<SmtpTestClient> idle = new ArrayList<>();
    try (RecordingUpstream upstream = RecordingUpstream.start();
        RelayProcess relay =
            RelayProcess.start(
                dir.resolve("relay.log"),
                List.of("-Xmx64m"),
                "run",
                "--config",
                config(upstream.port(), "max-sessions = " + sessions + "\n").toString())) {
      long rssBefore = relay.residentKilobytes();
      try {
        for (int i = 0; i < sessions; i++) {
          SmtpTestClient client = SmtpTestClient.connect(relay.port());
          idle.add(client);
          expect(client.reply(), "220");
        }
        long rssPerSession = (relay.residentKilobytes() - rssBefore) / sessions;
        System.out.println("resident memory per idle session: " + rssPerSession + " KB");
        assertThat(rssPerSession).isLessThan(256); // a thread's touched stack and buffers
        try (SmtpTestClient over = SmtpTestClient.connect(relay.port())) {
          assertThat(over.reply()).isEqualTo("421 4.3.2 too many sessions, try again later");
        }
        idle.remove(0).close();
        idle.remove(0).close(); // the slot frees once the relay sees the close
        try (SmtpTestClient client = awaitAdmitted(relay.port())) {
          expect(client.command("EHLO c"), "250");
          expect(client.sendMail("alice@example.com", "bob@example.org", SMALL), "250");
        }
        assertThat(relay.process().isAlive()).isTrue();
      } finally {
        for (SmtpTestClient client : idle) {
          client.close();
        }
      }
    }
    assertThat(Files.readString(dir.resolve("relay.log"))).doesNotContain("OutOfMemoryError");
  }

  @Test
  void aKeyThatCannotSignStopsStartUpWhateverTheProvider() throws Exception {
    DkimKey damaged = damagedRsaKey();
    new KeyDirectory(dir.resolve("keys")).store(damaged, damaged.txtRecord(3600));
    try (RecordingUpstream upstream = RecordingUpstream.start()) {
      Path config =
          RelayConfigFile.write(
              dir.resolve("dkimrelay.toml"), upstream.port(), dir.resolve("keys"), "", "");
      // AWS-LC refuses the key when it is loaded, the JDK only when it signs: the relay signs a
      // probe with each key at start-up, so both stop there, naming the file.
      for (String provider : List.of("accp", "jdk")) {
        Process run =
            new ProcessBuilder(
                    RelayProcess.command(
                        List.of("-Xmx128m", "-Ddkimrelay.crypto-provider=" + provider),
                        "run",
                        "--config",
                        config.toString()))
                .redirectErrorStream(true)
                .start();
        String printed = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).as(printed).isEqualTo(2);
        assertThat(printed).as(provider).contains("bad.key: the key cannot sign");
      }
      CliRun check = CliRun.in(dir, "run", "--config", config.toString(), "--check-config");
      assertThat(check.exit()).isEqualTo(2);
      assertThat(check.err()).contains("bad.key: the key cannot sign");
      assertThat(upstream.transactions()).isEmpty();
    }
  }

  /**
   * An RSA key with a wrong CRT coefficient, as a key damaged on disk or in memory: it parses, and
   * the JDK's RSA fault check refuses to sign with it.
   */
  private static DkimKey damagedRsaKey() throws Exception {
    DkimKey good =
        new DkimKeyGenerator(new SecureRandom())
            .generate(
                SigningDomain.parse("example.com"), Selector.parse("bad"), KeyAlgorithm.RSA, 2048);
    RSAPrivateCrtKey crt = (RSAPrivateCrtKey) good.privateKey();
    RSAPrivateCrtKeySpec damaged =
        new RSAPrivateCrtKeySpec(
            crt.getModulus(),
            crt.getPublicExponent(),
            crt.getPrivateExponent(),
            crt.getPrimeP(),
            crt.getPrimeQ(),
            crt.getPrimeExponentP(),
            crt.getPrimeExponentQ(),
            crt.getCrtCoefficient().add(BigInteger.ONE));
    return new DkimKey(
        good.domain(),
        good.selector(),
        KeyAlgorithm.RSA,
        KeyFactory.getInstance("RSA").generatePrivate(damaged),
        good.publicKey());
  }

  /** A session once a slot is free again (the relay notices closed connections asynchronously). */
  private static SmtpTestClient awaitAdmitted(int port) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      SmtpTestClient client = SmtpTestClient.connect(port);
      String greeting = client.reply();
      if (greeting != null && greeting.startsWith("220")) {
        return client;
      }
      client.close();
      assertThat(System.nanoTime()).as("a slot frees within %s", WAIT).isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
