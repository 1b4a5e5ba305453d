package org.dkimrelay.relay.bench;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.dkim.BodyHasher;
import org.dkimrelay.relay.dkim.DkimSigner;
import org.dkimrelay.relay.dkim.Signatures;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dkim.SigningTable;
import org.dkimrelay.relay.testing.DefaultPolicy;

/**
 * Signing throughput on one thread, for scripts/bench-sign: whole messages (parse, body hash,
 * header canonicalisation, signature) against the bare JCA signature rate of the same key, for each
 * provider (AWS-LC where it loads, the JDK), in the same run. Each measurement is bounded in time;
 * the run stops by itself.
 */
public final class SignBenchmark {
  private static final long WARM_UP_NANOS = 2_000_000_000L;

  private SignBenchmark() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    long measureNanos = (long) (seconds * 1e9);
    byte[] header = header();
    byte[] body = body(10 * 1024 - header.length);
    DkimKeyGenerator generator = new DkimKeyGenerator(new SecureRandom());
    SigningDomain domain = SigningDomain.parse("example.com");
    DkimKey rsa = generator.generate(domain, Selector.parse("r1"), KeyAlgorithm.RSA, 2048);
    DkimKey ed = generator.generate(domain, Selector.parse("e1"), KeyAlgorithm.ED25519, 0);

    System.out.printf(
        Locale.ROOT,
        "message size: %d bytes; %.0f s per figure, one thread%n",
        header.length + body.length,
        seconds);
    System.out.printf(
        Locale.ROOT,
        "%-22s %-16s %14s %14s %8s%n",
        "provider",
        "keys",
        "raw JCA sig/s",
        "messages/s",
        "ratio");
    List<Signatures> providers = new java.util.ArrayList<>();
    try {
      providers.add(Signatures.accp());
    } catch (java.security.NoSuchProviderException e) {
      System.out.println(e.getMessage());
    }
    providers.add(Signatures.jdk());
    for (Signatures signatures : providers) {
      double rsaRaw = rawRate(rsa, signatures, measureNanos);
      double edRaw = rawRate(ed, signatures, measureNanos);
      report(
          signatures,
          "rsa-2048",
          rsaRaw,
          messageRate(List.of(rsa), signatures, header, body, measureNanos));
      report(
          signatures,
          "ed25519",
          edRaw,
          messageRate(List.of(ed), signatures, header, body, measureNanos));
      // Both keys: one message costs one RSA and one Ed25519 signature.
      double bothRaw = 1 / (1 / rsaRaw + 1 / edRaw);
      report(
          signatures,
          "rsa + ed25519",
          bothRaw,
          messageRate(List.of(rsa, ed), signatures, header, body, measureNanos));
    }
  }

  private static void report(Signatures signatures, String name, double raw, double messages) {
    System.out.printf(
        Locale.ROOT,
        "%-22s %-16s %14.0f %14.0f %8.2f%n",
        signatures.label(),
        name,
        raw,
        messages,
        messages / raw);
  }

  /** Signatures per second of SHA256withRSA / SHA256withEd25519 over ~600 bytes of header data. */
  private static double rawRate(DkimKey key, Signatures signatures, long measureNanos)
      throws Exception {
    Signature signature = signatures.forAlgorithm(key.algorithm());
    signature.initSign(key.privateKey());
    byte[] data = new byte[600];
    new SecureRandom().nextBytes(data);
    run(
        WARM_UP_NANOS,
        () -> {
          signature.update(data);
          signature.sign();
        });
    return run(
        measureNanos,
        () -> {
          signature.update(data);
          signature.sign();
        });
  }

  private static double messageRate(
      List<DkimKey> keys, Signatures signatures, byte[] header, byte[] body, long measureNanos)
      throws Exception {
    List<SigningKey> signingKeys = new java.util.ArrayList<>();
    for (DkimKey key : keys) {
      signingKeys.add(new SigningKey(key, signatures));
    }
    SigningEngine engine =
        new SigningEngine(
            new SigningTable(signingKeys, true),
            new DkimSigner(DefaultPolicy.signing(), Clock.systemUTC()),
            false,
            true);
    Task task =
        () -> {
          BodyHasher hasher = engine.newBodyHasher();
          hasher.write(body);
          if (!(engine.process(header, hasher.finish(), java.util.Optional.empty())
              instanceof SigningEngine.Outcome.Signed)) {
            throw new IllegalStateException("not signed");
          }
        };
    run(WARM_UP_NANOS, task);
    return run(measureNanos, task);
  }

  private interface Task {
    void run() throws Exception;
  }

  /**
   * Runs {@code task} for about {@code nanos} (at most 10 million times); returns runs per second.
   */
  private static double run(long nanos, Task task) throws Exception {
    long start = System.nanoTime();
    long count = 0;
    long elapsed;
    do {
      task.run();
      count++;
      elapsed = System.nanoTime() - start;
    } while (elapsed < nanos && count < 10_000_000);
    return count / (elapsed / 1e9);
  }

  private static byte[] header() {
    return ("From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nCc: carol@example.org\r\n"
            + "Subject: Quarterly report\r\nDate: Sun, 15 Nov 2026 10:00:00 +0000\r\n"
            + "Message-ID: <20261115100000.12345@example.com>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] body(int size) {
    StringBuilder text = new StringBuilder(size);
    while (text.length() < size) {
      text.append("The quick brown fox jumps over the lazy dog, again and again.  \r\n");
    }
    return text.substring(0, size).getBytes(StandardCharsets.US_ASCII);
  }
}
