package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.dkimrelay.relay.testing.TestCertificates;
import org.dkimrelay.relay.upstream.UpstreamClient;
import org.dkimrelay.relay.upstream.UpstreamException;
import org.dkimrelay.relay.upstream.UpstreamSettings;
import org.dkimrelay.relay.upstream.UpstreamSettings.TlsMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STARTTLS to upstream with a test certificate: trusted through upstream.ca-file. */
class UpstreamTlsIT {
  private static final byte[] MESSAGE =
      "From: alice@example.com\r\nSubject: tls\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  private static SmtpTestClient greeted(TestRelay relay) throws Exception {
    SmtpTestClient client = SmtpTestClient.connect(relay.port());
    expect(client.reply(), "220");
    expect(client.command("EHLO client.test"), "250");
    return client;
  }

  @Test
  void requiredTlsWithAMatchingCertificateRelays() throws Exception {
    TestCertificates certificate = TestCertificates.forNames("127.0.0.1", "localhost");
    try (RecordingUpstream upstream = RecordingUpstream.withTls(certificate.serverContext());
        TestRelay relay =
            TestRelay.builder(dir, upstream.port())
                .tls(TlsMode.REQUIRED, certificate.writePem(dir.resolve("ca.pem")))
                .start();
        SmtpTestClient client = greeted(relay)) {
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      assertThat(upstream.awaitTransactions(1, Duration.ofSeconds(30))).hasSize(1);
      List<String> commands = upstream.commands();
      assertThat(commands.subList(0, 3))
          .containsExactly("EHLO relay.test", "STARTTLS", "EHLO relay.test");
    }
  }

  @Test
  void requiredTlsWithTheWrongHostNameIsATemporaryFailure() throws Exception {
    TestCertificates certificate = TestCertificates.forNames("other.example");
    try (RecordingUpstream upstream = RecordingUpstream.withTls(certificate.serverContext());
        TestRelay relay =
            TestRelay.builder(dir, upstream.port())
                .tls(TlsMode.REQUIRED, certificate.writePem(dir.resolve("ca.pem")))
                .start();
        SmtpTestClient client = greeted(relay)) {
      assertThat(client.command("MAIL FROM:<alice@example.com>"))
          .startsWith("451 4.7.5 upstream TLS failed");
      assertThat(upstream.transactions()).isEmpty();
    }
  }

  @Test
  void requiredTlsWithoutStartTlsOfferedIsATemporaryFailure() throws Exception {
    TestCertificates certificate = TestCertificates.forNames("127.0.0.1");
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay =
            TestRelay.builder(dir, upstream.port())
                .tls(TlsMode.REQUIRED, certificate.writePem(dir.resolve("ca.pem")))
                .start();
        SmtpTestClient client = greeted(relay)) {
      assertThat(client.command("MAIL FROM:<alice@example.com>"))
          .startsWith("451 4.7.5 upstream TLS failed")
          .contains("does not offer STARTTLS");
    }
  }

  @Test
  void opportunisticTlsEncryptsEvenWithACertificateItCannotVerify() throws Exception {

    TestCertificates certificate = TestCertificates.forNames("other.example");
    try (RecordingUpstream upstream = RecordingUpstream.withTls(certificate.serverContext());
        TestRelay relay =
            TestRelay.builder(dir, upstream.port())
                .tls(TlsMode.OPPORTUNISTIC, certificate.writePem(dir.resolve("ca.pem")))
                .start();
        SmtpTestClient client = greeted(relay)) {
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      assertThat(upstream.awaitTransactions(1, Duration.ofSeconds(30))).hasSize(1);
      assertThat(upstream.commands()).contains("STARTTLS");
      assertThat(upstream.connections()).isEqualTo(1); // no plain-text retry was needed
    }
  }

  @Test
  void authGoesOnlyInsideTls() throws Exception {
    TestCertificates certificate = TestCertificates.forNames("127.0.0.1");
    Path password = java.nio.file.Files.writeString(dir.resolve("password"), "s3cret\n");
    try (RecordingUpstream upstream =
            RecordingUpstream.withTls(certificate.serverContext(), "AUTH PLAIN LOGIN")
                .reply("AUTH PLAIN", "235 2.7.0 Authentication successful");
        TestRelay relay =
            TestRelay.builder(dir, upstream.port())
                .tls(TlsMode.REQUIRED, certificate.writePem(dir.resolve("ca.pem")))
                .credentials("relay-user", password)
                .start();
        SmtpTestClient client = greeted(relay)) {
      expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      String token =
          java.util.Base64.getEncoder()
              .encodeToString("\0relay-user\0s3cret".getBytes(StandardCharsets.UTF_8));
      assertThat(upstream.commands()).contains("AUTH PLAIN " + token);
      assertThat(upstream.commands().indexOf("STARTTLS"))
          .isLessThan(upstream.commands().indexOf("AUTH PLAIN " + token));
    }
    // Without required TLS the configuration refuses credentials...
    assertThatThrownBy(
            () ->
                TestRelay.builder(dir.resolve("plain"), 25)
                    .credentials("relay-user", password)
                    .start())
        .hasMessageContaining("AUTH is sent only inside TLS");
    // ...and the client refuses to send them in clear, should its settings ever ask.
    try (RecordingUpstream plain = RecordingUpstream.withExtensions(List.of("AUTH PLAIN LOGIN"))) {
      UpstreamSettings clear =
          new UpstreamSettings(
              "127.0.0.1",
              plain.port(),
              TlsMode.OFF,
              javax.net.ssl.SSLContext.getDefault(),
              java.util.Optional.of(new UpstreamSettings.Credentials("relay-user", "s3cret")),
              "relay.test",
              Duration.ofSeconds(5),
              Duration.ofSeconds(5),
              Duration.ofSeconds(5));
      assertThatThrownBy(() -> UpstreamClient.connect(clear))
          .isInstanceOf(UpstreamException.class)
          .hasMessageContaining("not TLS");
      assertThat(plain.commands()).noneMatch(c -> c.startsWith("AUTH"));
    }
  }

  @Test
  void thePasswordFileIsReadAtStartAndAgainAtReload() throws Exception {
    TestCertificates certificate = TestCertificates.forNames("127.0.0.1");
    Path ca = certificate.writePem(dir.resolve("ca.pem"));
    // unreadable at start: the relay does not start (it used to become a 451 at every message)
    assertThatThrownBy(
            () ->
                TestRelay.builder(dir.resolve("missing"), 25)
                    .tls(TlsMode.REQUIRED, ca)
                    .credentials("relay-user", dir.resolve("no-such-password-file"))
                    .start())
        .hasMessageContaining("upstream.password-file: cannot read ")
        .hasMessageContaining("no-such-password-file");

    Path password = java.nio.file.Files.writeString(dir.resolve("password"), "old\n");
    try (RecordingUpstream upstream =
            RecordingUpstream.withTls(certificate.serverContext(), "AUTH PLAIN LOGIN")
                .reply("AUTH PLAIN", "235 2.7.0 Authentication successful");
        TestRelay relay =
            TestRelay.builder(dir, upstream.port())
                .tls(TlsMode.REQUIRED, ca)
                .credentials("relay-user", password)
                .start()) {
      java.nio.file.Files.writeString(password, "new\n");
      relay.reload(); // SIGHUP: the new password is used from the next session on
      try (SmtpTestClient client = greeted(relay)) {
        expect(client.sendMail("alice@example.com", "bob@example.org", MESSAGE), "250");
      }
      String token =
          java.util.Base64.getEncoder()
              .encodeToString("\0relay-user\0new".getBytes(StandardCharsets.UTF_8));
      assertThat(upstream.commands()).contains("AUTH PLAIN " + token);
    }
  }
}
