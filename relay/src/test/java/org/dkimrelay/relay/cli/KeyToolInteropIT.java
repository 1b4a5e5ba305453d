package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The key tool against outside implementations: OpenSSL reads and writes keys, dkimpy signs. */
class KeyToolInteropIT {
  private static final byte[] MESSAGE =
      ("From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: interop\r\n\r\n"
              + "Hello from the key tool test.\r\n")
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir Path home;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"rsa, 2048", "rsa, 4096", "ed25519, 0"})
  void opensslReadsEveryKeyWeWriteAndDerivesTheSamePublicKey(String algorithm, int bits) {
    String[] args =
        bits == 0
            ? new String[] {"keygen", "example.com", "--algorithm", algorithm}
            : new String[] {"keygen", "example.com", "--algorithm", algorithm, "--bits", "" + bits};
    CliRun run = CliRun.in(home, args);
    assertThat(run.exit()).isZero();
    Path keyFile = onlyKeyFile();

    ExternalTool.Result pub =
        ExternalTool.run(
            List.of("openssl", "pkey", "-in", keyFile.toString(), "-pubout", "-outform", "DER"));

    assertThat(pub.exit()).as(pub.toString()).isZero();
    byte[] der = pub.stdout();
    byte[] expected =
        algorithm.equals("rsa") ? der : Arrays.copyOfRange(der, der.length - 32, der.length);
    assertThat(run.publishedValue()).endsWith("p=" + Base64.getEncoder().encodeToString(expected));
  }

  @Test
  void pkcs1KeyFromOpensslImportsWithItsPublishedRecordUnchanged() throws IOException {
    Path pkcs1 = home.resolve("opendkim.private");
    run("openssl", "genrsa", "-traditional", "-out", pkcs1.toString(), "2048");
    assertThat(Files.readString(pkcs1)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

    CliRun imported =
        CliRun.in(
            home,
            "keys",
            "import",
            pkcs1.toString(),
            "--domain",
            "example.com",
            "--selector",
            "mail");

    assertThat(imported.exit()).as(imported.err()).isZero();
    assertThat(pkcs1).exists(); // copied, not moved
    byte[] spki =
        run("openssl", "rsa", "-in", pkcs1.toString(), "-pubout", "-outform", "DER").stdout();
    assertThat(imported.publishedValue())
        .isEqualTo("v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(spki));
    assertThat(Files.readString(home.resolve("conf/keys/example.com/mail.key")))
        .startsWith("-----BEGIN PRIVATE KEY-----");
  }

  @Test
  void encryptedKeysImportWithTheirPassphraseAndFailClearlyWithoutIt() throws IOException {
    Path pass = Files.writeString(home.resolve("pass"), "correct horse\n");
    Path pkcs8 = home.resolve("enc-ed25519.pem");
    run(
        "openssl",
        "genpkey",
        "-algorithm",
        "ed25519",
        "-aes256",
        "-pass",
        "pass:correct horse",
        "-out",
        pkcs8.toString());
    Path pkcs1 = home.resolve("enc-rsa.pem");
    run(
        "openssl",
        "genrsa",
        "-traditional",
        "-aes128",
        "-passout",
        "pass:correct horse",
        "-out",
        pkcs1.toString(),
        "2048");

    CliRun noPassphrase =
        CliRun.in(
            home,
            "keys",
            "import",
            pkcs8.toString(),
            "--domain",
            "example.com",
            "--selector",
            "e1");
    assertThat(noPassphrase.exit()).isEqualTo(2);
    assertThat(noPassphrase.err()).contains("encrypted").contains("--passphrase-file");

    Path wrong = Files.writeString(home.resolve("wrong"), "battery staple\n");
    CliRun wrongPassphrase =
        CliRun.in(
            home,
            "keys",
            "import",
            pkcs1.toString(),
            "--domain",
            "example.com",
            "--selector",
            "r1",
            "--passphrase-file",
            wrong.toString());
    assertThat(wrongPassphrase.exit()).isEqualTo(2);
    assertThat(wrongPassphrase.err().lines()).hasSize(1);

    for (Path file : List.of(pkcs8, pkcs1)) {
      String selector = file == pkcs8 ? "e1" : "r1";
      CliRun imported =
          CliRun.in(
              home,
              "keys",
              "import",
              file.toString(),
              "--domain",
              "example.com",
              "--selector",
              selector,
              "--passphrase-file",
              pass.toString());
      assertThat(imported.exit()).as(imported.err()).isZero();
      byte[] der =
          run(
                  "openssl",
                  "pkey",
                  "-in",
                  file.toString(),
                  "-passin",
                  "pass:correct horse",
                  "-pubout",
                  "-outform",
                  "DER")
              .stdout();
      byte[] p = file == pkcs8 ? Arrays.copyOfRange(der, der.length - 32, der.length) : der;
      assertThat(imported.publishedValue()).endsWith("p=" + Base64.getEncoder().encodeToString(p));
    }
  }

  @Test
  void dkimpyRawSeedImportsToTheRfc8463Record() throws IOException {
    // RFC 8463 Appendix A: dkimpy and rspamd keep Ed25519 keys as the base64 seed.
    Path seed =
        Files.writeString(home.resolve("ed.key"), "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n");
    CliRun imported =
        CliRun.in(
            home,
            "keys",
            "import",
            seed.toString(),
            "--domain",
            "football.example.com",
            "--selector",
            "brisbane");
    assertThat(imported.exit()).as(imported.err()).isZero();
    assertThat(imported.publishedValue())
        .isEqualTo("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  }

  @ParameterizedTest
  @CsvSource({"rsa", "ed25519"})
  void mailSignedByDkimpyWithOurKeyVerifiesAgainstOurPrintedRecord(String algorithm) {
    CliRun made =
        CliRun.in(home, "keygen", "example.com", "--algorithm", algorithm, "--selector", "s1");
    CliRun other =
        CliRun.in(home, "keygen", "example.com", "--algorithm", algorithm, "--selector", "s2");
    ExternalTool.Result signed =
        Oracles.dkimpySign(
            MESSAGE, home.resolve("conf/keys/example.com/s1.key"), "s1", "example.com");
    assertThat(signed.exit()).as(signed.toString()).isZero();

    Map<String, String> record = Map.of("s1._domainkey.example.com", made.publishedValue());
    ExternalTool.Result verified = Oracles.dkimpyVerify(signed.stdout(), record);
    assertThat(verified.exit()).as(verified.toString()).isZero();
    assertThat(verified.out()).startsWith("pass d=example.com s=s1");

    // The oracle really checks the key: another key's record under the same name fails.
    Map<String, String> wrong = Map.of("s1._domainkey.example.com", other.publishedValue());
    assertThat(Oracles.dkimpyVerify(signed.stdout(), wrong).exit()).isEqualTo(1);

    if (algorithm.equals("rsa")) { // Debian 12's Mail::DKIM has no Ed25519
      ExternalTool.Result perl = Oracles.mailDkimVerify(signed.stdout(), record);
      assertThat(perl.exit()).as(perl.toString()).isZero();
      assertThat(Oracles.mailDkimVerify(signed.stdout(), wrong).exit()).isEqualTo(1);
    }
  }

  private Path onlyKeyFile() {
    try (var files = Files.list(home.resolve("conf/keys/example.com"))) {
      return files.filter(f -> f.toString().endsWith(".key")).findFirst().orElseThrow();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static ExternalTool.Result run(String... command) {
    ExternalTool.Result result = ExternalTool.run(List.of(command));
    assertThat(result.exit()).as(result.toString()).isZero();
    return result;
  }
}
