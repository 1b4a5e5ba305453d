package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.dkimrelay.relay.metrics.MetricsServer;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics over HTTP after messages of each outcome. */
class MetricsIT {
  @TempDir Path dir;

  private static byte[] message(String from) {
    return ("From: " + from + "\r\nSubject: m\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void countersFollowEveryOutcome() throws Exception {
    try (RecordingUpstream upstream = RecordingUpstream.start();
        TestRelay relay = TestRelay.builder(dir, upstream.port()).maxMessageSize(20_000).start();
        SmtpTestClient client = SmtpTestClient.connect(relay.port())) {
      MetricsServer metrics = new MetricsServer("127.0.0.1", 0, relay.metrics());
      metrics.start();
      try {
        client.reply();
        client.command("EHLO c");
        expect(client.sendMail("a@example.com", "b@example.org", message("a@example.com")), "250");
        expect(client.sendMail("a@example.com", "b@example.org", message("a@example.com")), "250");
        expect(client.sendMail("x@example.net", "b@example.org", message("x@example.net")), "250");
        expect(
            client.sendMail(
                "a@example.com",
                "b@example.org",
                "To: nobody\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII)),
            "550");
        expect(
            client.sendMail(
                "a@example.com",
                "b@example.org",
                ("From: a@example.com\r\n\r\n" + "x".repeat(30_000))
                    .getBytes(StandardCharsets.US_ASCII)),
            "552");
        upstream.reply(".", "451 4.3.0 try later");
        expect(client.sendMail("a@example.com", "b@example.org", message("a@example.com")), "451");

        String text =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + metrics.port() + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(text)
            .contains(
                "dkimrelay_messages_signed_total{algorithm=\"rsa-sha256\",domain=\"example.com\",selector=\"r1\"} 2.0")
            .contains(
                "dkimrelay_messages_signed_total{algorithm=\"ed25519-sha256\",domain=\"example.com\",selector=\"e1\"} 2.0")
            .contains("dkimrelay_messages_unsigned_total{reason=\"unknown_domain\"} 1.0")
            .contains("dkimrelay_messages_refused_total{reason=\"malformed\"} 1.0")
            .contains("dkimrelay_messages_refused_total{reason=\"too_large\"} 1.0")
            .contains("dkimrelay_upstream_replies_total{class=\"2xx\"} 3.0")
            .contains("dkimrelay_upstream_replies_total{class=\"4xx\"} 1.0")
            .contains("dkimrelay_sessions_open 1.0")
            .contains("dkimrelay_message_size_bytes_count 4");
      } finally {
        metrics.stop();
      }
    }
  }
}
