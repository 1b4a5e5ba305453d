package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RelayProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code sign} against the outside verifiers: every corpus message, signed with an RSA and an
 * Ed25519 key, must pass dkimpy (both signatures) and Perl Mail::DKIM (RSA; Debian 12's has no
 * Ed25519), and differ from the input only by the added fields.
 */
class SignInteropIT {
  private static final Pattern TIMESTAMP = Pattern.compile("t=(\\d+);");
  @TempDir static Path home;
  private static final Map<String, String> RECORDS = new HashMap<>();

  @BeforeAll
  static void keys() {
    keygen("example.com", "r1", "rsa");
    keygen("example.com", "e1", "ed25519");
    keygen("xn--bcher-kva.example", "r1", "rsa");
  }

  private static void keygen(String domain, String selector, String algorithm) {
    CliRun run =
        CliRun.in(home, "keygen", domain, "--selector", selector, "--algorithm", algorithm);
    assertThat(run.exit()).as(run.err()).isZero();
    RECORDS.put(selector + "._domainkey." + domain, run.publishedValue());
  }

  static List<Corpus.Message> corpus() {
    return Corpus.signable();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void signedMessagePassesBothOutsideVerifiersAndIsOtherwiseUnchanged(Corpus.Message message) {
    CliRun run = CliRun.withInput(home, message.bytes(), "sign");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).isEmpty();
    byte[] expectedTail = Corpus.normalised(message.bytes());
    byte[] added = Arrays.copyOf(run.bytes(), run.bytes().length - expectedTail.length);
    assertThat(Arrays.copyOfRange(run.bytes(), added.length, run.bytes().length))
        .isEqualTo(expectedTail);
    String addedText = new String(added, StandardCharsets.US_ASCII);
    int expectedSignatures = message.signedBy().equals("example.com") ? 2 : 1;
    assertThat(addedText.split("DKIM-Signature: ", -1)).hasSize(expectedSignatures + 1);
    assertThat(addedText).contains("d=" + message.signedBy() + ";");

    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(run.bytes(), RECORDS);
    if (message.dkimpyParses()) {
      assertThat(dkimpy.out().lines().filter(l -> l.startsWith("pass d=" + message.signedBy())))
          .as(dkimpy.toString())
          .hasSize(expectedSignatures);
      assertThat(dkimpy.out()).doesNotContain("fail d=" + message.signedBy());
    } else {
      assertThat(dkimpy.stderr()).contains("Unexpected characters in RFC822 header");
    }

    ExternalTool.Result perl = Oracles.mailDkimVerify(run.bytes(), RECORDS);
    assertThat(
            perl.out()
                .lines()
                .filter(l -> l.startsWith("pass d=" + message.signedBy() + " s=r1 a=rsa-sha256")))
        .as(perl.toString())
        .hasSize(1);
  }

  @Test
  void unknownDomainIsPassedThroughUnsignedWithAWarning() {
    CliRun run = CliRun.withInput(home, Corpus.UNKNOWN_DOMAIN.bytes(), "sign");
    assertThat(run.exit()).isZero();
    assertThat(run.bytes()).isEqualTo(Corpus.UNKNOWN_DOMAIN.bytes());
    assertThat(run.err()).contains("not signed: no key for From domain example.net");
  }

  @Test
  void aLoginIsSignedOnlyForWhatItMayAndExplainSaysWhichRuleDecided() {
    byte[] message =
        "From: ceo@example.com\r\nSubject: s\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
    CliRun own = CliRun.withInput(home, message, "sign", "--login", "alice@example.com");
    assertThat(own.exit()).as(own.err()).isZero();
    assertThat(new String(own.bytes(), StandardCharsets.US_ASCII)).startsWith("DKIM-Signature:");

    CliRun other = CliRun.withInput(home, message, "sign", "--login", "mallory@example.net");
    assertThat(other.exit()).isEqualTo(2);
    assertThat(other.bytes()).isEmpty();
    assertThat(other.err())
        .contains("not signed: login mallory@example.net may not sign for example.com");

    CliRun explained =
        CliRun.withInput(home, message, "sign", "--explain", "--login", "mallory@example.net");
    assertThat(explained.out())
        .contains(
            "Login mallory@example.net: may NOT sign for it (not signed, senders.on-mismatch ="
                + " reject), by the login's own domain example.net");
  }

  @Test
  void unknownDomainIsRefusedWhenPolicySaysReject() throws IOException {
    Path config =
        Files.writeString(home.resolve("reject.toml"), "[signing]\nunknown-domain = \"reject\"\n");
    CliRun run =
        CliRun.withInput(
            home, Corpus.UNKNOWN_DOMAIN.bytes(), "sign", "--config", config.toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.bytes()).isEmpty();
  }

  @Test
  void aHeaderBlockOfTwoMebibytesIsSignedNotRefusedForMemory() {
    String filler = ("X-Filler: " + "f".repeat(1000) + "\r\n").repeat(2048);
    byte[] message =
        ("From: Alice <alice@example.com>\r\nSubject: large header\r\n" + filler + "\r\nbody\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    CliRun run = CliRun.withInput(home, message, "sign");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(new String(run.bytes(), StandardCharsets.US_ASCII)).startsWith("DKIM-Signature:");
  }

  @Test
  void missingAndDuplicateFromAreRefusedWithOneLine() {
    for (Corpus.Message message : List.of(Corpus.MISSING_FROM, Corpus.DUPLICATE_FROM)) {
      CliRun run = CliRun.withInput(home, message.bytes(), "sign");
      assertThat(run.exit()).as(message.name()).isEqualTo(2);
      assertThat(run.bytes()).isEmpty();
      assertThat(run.err().lines()).hasSize(1);
      assertThat(run.err()).startsWith("dkimrelay: not signed: ");
    }
  }

  @Test
  void explainSaysWhichKeysAndHeadersWithoutSigning() {
    Corpus.Message sub =
        Corpus.signable().stream()
            .filter(m -> m.name().equals("From subdomain"))
            .findFirst()
            .orElseThrow();
    CliRun run = CliRun.withInput(home, sub.bytes(), "sign", "--explain");
    assertThat(run.exit()).isZero();
    assertThat(run.bytes()).isEmpty();
    assertThat(run.out())
        .contains("From domain: news.example.com")
        .contains("Signing domain (d=): example.com (nearest parent with keys")
        .contains("example.com/e1 (ed25519)")
        .contains("example.com/r1 (rsa 2048)")
        .contains(
            "Signed headers (h=): from:from:to:to:cc:subject:subject:date:date:message-id:reply-to");
  }

  @Test
  void ourVerifyAgreesWithTheOutsideVerifiers() {
    CliRun signed = CliRun.withInput(home, Corpus.signable().get(0).bytes(), "sign");
    String[] args =
        RECORDS.entrySet().stream()
            .map(e -> "--record=" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    CliRun verified = CliRun.withInput(home, signed.bytes(), concat("verify", args));
    assertThat(verified.exit()).as(verified.out()).isZero();
    assertThat(verified.out().lines())
        .containsExactlyInAnyOrder(
            "pass d=example.com s=e1 a=ed25519-sha256", "pass d=example.com s=r1 a=rsa-sha256");

    byte[] tampered =
        new String(signed.bytes(), StandardCharsets.ISO_8859_1)
            .replace("Hello Bob.", "Hello Eve.")
            .getBytes(StandardCharsets.ISO_8859_1);
    CliRun failed = CliRun.withInput(home, tampered, concat("verify", args));
    assertThat(failed.exit()).isEqualTo(1);
    assertThat(failed.out())
        .contains("fail d=example.com s=r1 a=rsa-sha256 body hash did not verify");
  }

  @Test
  void signaturesAreIdenticalUnderLangCAndATurkishLocale() throws IOException {
    for (Corpus.Message message : Corpus.signable()) {
      if (message.bytes().length > 200_000) {
        continue; // the attachment adds run time, not header cases
      }
      Path input = Files.write(home.resolve("in.eml"), message.bytes());
      Path output = home.resolve("out.eml");
      Process process =
          startJar(
              List.of("-Duser.language=tr", "-Duser.country=TR", "-Dfile.encoding=ANSI_X3.4-1968"),
              input,
              output,
              "sign",
              "--keys",
              home.resolve("conf/keys").toString());
      assertThat(waitFor(process)).as(message.name()).isZero();
      byte[] fromC = Files.readAllBytes(output);
      Matcher t = TIMESTAMP.matcher(new String(fromC, StandardCharsets.ISO_8859_1));
      assertThat(t.find()).isTrue();
      CliRun here =
          CliRun.at(
              Instant.ofEpochSecond(Long.parseLong(t.group(1))), home, message.bytes(), "sign");
      assertThat(fromC).as(message.name()).isEqualTo(here.bytes());
    }
  }

  @Test
  void fiftyMegabyteMessageSignsIn64MegabytesOfHeap() throws IOException {
    Path input = home.resolve("big.eml");
    try (var out = Files.newOutputStream(input)) {
      out.write(
          "From: big@example.com\r\nSubject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] line = ("x".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 50 * 1024 * 1024 / line.length; i++) {
        out.write(line);
      }
    }
    Path output = home.resolve("big-signed.eml");
    Process process =
        startJar(
            List.of("-Xmx64m"),
            input,
            output,
            "sign",
            "--keys",
            home.resolve("conf/keys").toString());
    assertThat(waitFor(process)).isZero();
    assertThat(Files.size(output)).isGreaterThan(Files.size(input));
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(Files.readAllBytes(output), RECORDS);
    assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
  }

  private static String[] concat(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static Process startJar(List<String> jvmOptions, Path input, Path output, String... args)
      throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(RelayProcess.command(jvmOptions, args))
            .redirectInput(input.toFile())
            .redirectOutput(output.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("LANG", "C");
    builder.environment().put("LC_ALL", "C");
    return builder.start();
  }

  private static int waitFor(Process process) {
    try {
      if (!process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("dkimrelay sign did not finish in 120 s");
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
