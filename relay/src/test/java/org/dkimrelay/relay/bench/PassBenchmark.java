package org.dkimrelay.relay.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.dkimrelay.relay.dkim.BodyHasher;
import org.dkimrelay.relay.dkim.Canonicalization;
import org.dkimrelay.relay.spool.LongLineFolder;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.spool.SpooledMessage;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.wire.DataDecoding;
import org.dkimrelay.relay.wire.DotStuffing;

/**
 * The proxy's path for a 1 MB message pass by pass, on one thread and without sockets, for
 * scripts/bench-sign: decoding DATA, spooling (line ends, 8-bit scan, header split, storage), the
 * body hash, dot-stuffing on the way upstream. The text is random words in lines of 60-75
 * characters, some starting with a dot. Each figure: 3 s of warm-up, then 4 s measured.
 */
public final class PassBenchmark {
  private PassBenchmark() {}

  private interface Pass {
    void run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    byte[] message = message(1_000_000);
    int bodyStart = indexOf(message, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
    byte[] body = Arrays.copyOfRange(message, bodyStart, message.length);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    DotStuffing.write(message, wire);
    byte[] wireBytes = wire.toByteArray();
    Path spoolDir = Files.createTempDirectory("dkimrelay-passes-");
    Spooler spooler =
        new Spooler(spoolDir, 1 << 21, new MemoryBudget(1 << 21), 1 << 20, 1L << 30, 998);

    System.out.printf(
        Locale.ROOT, "a %,d-byte message, ms per message, one thread:%n", message.length);
    report("decode DATA (dot-unstuffing, end marker)", () -> DataDecoding.drain(wireBytes));
    report(
        "spool (line ends, 8-bit scan, split, store)",
        () -> {
          try (SpooledMessage spooled =
              spooler.spool(new ByteArrayInputStream(message), OutputStream.nullOutputStream())) {
            spooled.bodySize();
          }
        });
    report(
        "long-line breaking at 998 (no line is long)",
        () -> {
          LongLineFolder folder = new LongLineFolder(OutputStream.nullOutputStream(), 998);
          for (int at = 0; at < body.length; at += 64 * 1024) {
            folder.write(body, at, Math.min(64 * 1024, body.length - at));
          }
          folder.finish();
        });
    report("body canonicalisation (relaxed) + SHA-256", () -> relaxedHash(body));
    byte[] sourceLines = smtpSourceBody(body.length);
    report("  the same, smtp-source's body (80-byte lines)", () -> relaxedHash(sourceLines));
    report(
        "SHA-256 alone (the floor of the line above)",
        () -> java.security.MessageDigest.getInstance("SHA-256").digest(body));
    report(
        "dot-stuffing on the way upstream",
        () -> DotStuffing.write(body, OutputStream.nullOutputStream()));
    Files.deleteIfExists(spoolDir);
  }

  private static void relaxedHash(byte[] body) {
    BodyHasher hasher = new BodyHasher(Canonicalization.RELAXED);
    for (int at = 0; at < body.length; at += 64 * 1024) {
      hasher.write(body, at, Math.min(64 * 1024, body.length - at));
    }
    hasher.finish();
  }

  /** What smtp-source -l sends: numbered lines of 78 X's and CRLF. */
  private static byte[] smtpSourceBody(int size) {
    StringBuilder text = new StringBuilder(size + 80);
    for (int line = 1; text.length() < size; line++) {
      String number = Integer.toString(line % 10);
      text.append(number).append("X".repeat(79 - number.length())).append("\r\n");
    }
    return text.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static void report(String what, Pass pass) throws Exception {
    for (long start = System.nanoTime(); System.nanoTime() - start < 3_000_000_000L; ) {
      pass.run();
    }
    long start = System.nanoTime();
    int runs = 0;
    while (System.nanoTime() - start < 4_000_000_000L && runs < 1_000_000) {
      pass.run();
      runs++;
    }
    System.out.printf(
        Locale.ROOT, "  %-46s %7.3f%n", what, (System.nanoTime() - start) / 1e6 / runs);
  }

  private static byte[] message(int size) {
    String[] words = {
      "the",
      "quick",
      "brown",
      "fox",
      "jumps",
      "over",
      "lazy",
      "dog",
      "relay",
      "signature",
      "message"
    };
    Random random = new Random(1);
    StringBuilder text =
        new StringBuilder(
            "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: 1 MB\r\n\r\n");
    while (text.length() < size) {
      StringBuilder line = new StringBuilder(random.nextInt(40) == 0 ? "." : "");
      while (line.length() < 60 + random.nextInt(15)) {
        line.append(words[random.nextInt(words.length)]).append(' ');
      }
      text.append(line.toString().trim()).append("\r\n");
    }
    return text.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    for (int i = 0; i + part.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    return -1;
  }
}
