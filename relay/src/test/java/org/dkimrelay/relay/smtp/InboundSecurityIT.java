package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.dkimrelay.relay.upstream.TlsContexts;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inbound STARTTLS and SMTP AUTH, for a relay that listens beyond loopback: a certificate and key
 * made by OpenSSL, a users file hashed by libxcrypt's bcrypt (through Python's crypt module).
 */
class InboundSecurityIT {
  private static final byte[] MESSAGE =
      "From: alice@example.com\r\nSubject: tls\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;
  private Path certificate;
  private Path key;
  private Path users;

  @BeforeEach
  void credentials() throws Exception {
    certificate = dir.resolve("cert.pem");
    key = dir.resolve("key.pem");
    ExternalTool.Result openssl =
        ExternalTool.run(
            List.of(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=relay.test",
                "-addext",
                "subjectAltName=DNS:relay.test",
                "-keyout",
                key.toString(),
                "-out",
                certificate.toString()));
    assertThat(openssl.exit()).as(openssl.toString()).isZero();
    ExternalTool.Result hash =
        ExternalTool.run(
            List.of(
                "/usr/bin/python3", // Debian's, as the oracles use
                "-W",
                "ignore",
                "-c",
                "import crypt; print(crypt.crypt('s3cret pass', crypt.mksalt(crypt.METHOD_BLOWFISH)))"));
    assertThat(hash.exit()).as(hash.toString()).isZero();
    assertThat(hash.out()).startsWith("$2b$");
    users =
        Files.writeString(dir.resolve("users"), "# MTA hosts\nmta1:" + hash.out().strip() + "\n");
  }

  private static String plain(String user, String password) {
    return Base64.getEncoder()
        .encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void mailNeedsTlsThenAuthAndThenGoesThroughSigned() throws Exception {
    SSLContext trusting = TlsContexts.trusting(certificate);
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay =
            TestRelay.builder(dir, upstream.port()).inbound(certificate, key, users).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      expect(client.reply(), "220");
      String ehlo = client.command("EHLO mta1.example");
      assertThat(ehlo).contains("STARTTLS").doesNotContain("AUTH");
      assertThat(client.command("AUTH PLAIN " + plain("mta1", "s3cret pass")))
          .startsWith("538 5.7.11"); // never a password in clear
      assertThat(client.command("MAIL FROM:<alice@example.com>"))
          .isEqualTo("530 5.7.0 Must issue a STARTTLS command first");

      assertThat(client.startTls(trusting, "relay.test")).isIn("TLSv1.3", "TLSv1.2");
      ehlo = client.command("EHLO mta1.example");
      assertThat(ehlo).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
      assertThat(client.command("MAIL FROM:<alice@example.com>"))
          .isEqualTo("530 5.7.0 Authentication required");
      assertThat(client.command("AUTH PLAIN " + plain("mta1", "wrong"))).startsWith("535");
      assertThat(client.command("AUTH PLAIN " + plain("nobody", "s3cret pass"))).startsWith("535");
      expect(client.command("AUTH PLAIN " + plain("mta1", "s3cret pass")), "235");
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      String sent =
          new String(
              upstream.awaitTransactions(1, Duration.ofSeconds(30)).get(0).content(),
              StandardCharsets.US_ASCII);
      assertThat(sent).startsWith("DKIM-Signature: ").endsWith("Subject: tls\r\n\r\nbody\r\n");
    }
  }

  @Test
  void threeFailedAuthAttemptsEndTheSession() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay =
            TestRelay.builder(dir, upstream.port()).inbound(certificate, key, users).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      client.reply();
      client.command("EHLO c");
      client.startTls(TlsContexts.trusting(certificate), "relay.test");
      client.command("EHLO c");
      assertThat(client.command("AUTH PLAIN " + plain("mta1", "guess1"))).startsWith("535");
      assertThat(client.command("AUTH PLAIN " + plain("mta1", "guess2"))).startsWith("535");
      assertThat(client.command("AUTH PLAIN " + plain("mta1", "guess3"))).startsWith("535");
      assertThat(client.reply()).isEqualTo("421 4.7.0 too many failed AUTH attempts");
      assertThat(client.reply()).isNull();
      assertThat(upstream.transactions()).isEmpty();
    }
  }
}
