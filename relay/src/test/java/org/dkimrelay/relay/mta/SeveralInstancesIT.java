package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.testing.SmtpTestClient.expect;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.KeyZone;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.RelayProcess;
import org.dkimrelay.relay.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two dkimrelay processes on one keys directory, both with {@code [rotation] every}, each serving
 * the SMTP proxy and a milter for one real Postfix (smtpd_milters → relay A, non_smtpd_milters →
 * relay B), through a whole automatic rotation against dnsmasq: one standby key is made, both
 * switch once DNS has it, neither signs with the retired key, and every message of every path
 * verifies against what DNS holds at that moment. A third relay with {@code owner = false} only
 * follows.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SeveralInstancesIT {
  private static final Pattern SELECTOR = Pattern.compile("(?s)DKIM-Signature:.*?\\bs=([^;\\s]+)");
  private static final Pattern STANDBY = Pattern.compile("example\\.com/(\\S+): new standby key");
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private Path keys;
  private KeyZone zone;
  private RecordingUpstream sink;
  private int submitPort;
  private int sent;

  @Test
  void twoRelaysOnOneKeysDirectoryRotateOnceAndBothFollow() throws Exception {
    keys = dir.resolve("keys");
    run("keygen", "example.com", "--selector", "r1", "--keys", keys.toString());
    zone = new KeyZone(dir);
    publish("r1");
    sink = RecordingUpstream.start();
    submitPort = freePort();
    int milterA = freePort();
    int milterB = freePort();
    try (PostfixInstance postfix = PostfixInstance.create(submitPort, sink.port());
        RelayProcess a = relay("a", milterA, true);
        RelayProcess b = relay("b", milterB, true);
        RelayProcess follower = relay("c", freePort(), false)) {
      postfix.set(
          "smtpd_milters=inet:127.0.0.1:" + milterA,
          "non_smtpd_milters=inet:127.0.0.1:" + milterB,
          "milter_protocol=6",
          "milter_default_action=tempfail");
      postfix.start();
      assertThat(signedThroughEveryPath(a, b, postfix)).containsOnly("r1");
      assertThat(viaSmtp(follower.port())).isEqualTo("r1");

      // Rotation comes due for both at the same moment; the lifecycle lock lets one make the key.
      String next = awaitStandby(a, b);
      assertThat(signedThroughEveryPath(a, b, postfix)).containsOnly("r1"); // DNS lacks it
      assertThat(standbyLines(a, b)).hasSize(1);
      try (Stream<Path> files = Files.list(keys.resolve("example.com"))) {
        assertThat(files.filter(f -> f.toString().endsWith(".key")))
            .extracting(f -> f.getFileName().toString())
            .containsExactlyInAnyOrder("r1.key", next + ".key");
      }

      publish(next);
      // One relay switches ("record seen in DNS, now signing with it"), the other follows the
      // lifecycle file ("... now signing with example.com/NEXT").
      a.awaitLine("now signing with");
      b.awaitLine("now signing with");
      follower.awaitLine(
          "the lifecycle changed (another dkimrelay or a command); now signing with");
      assertThat(signedThroughEveryPath(a, b, postfix)).containsOnly(next);
      assertThat(viaSmtp(follower.port())).isEqualTo(next);

      awaitPrinted(a, b, "example.com/r1: revoked, private key deleted");
      assertThat(keys.resolve("example.com/r1.key")).doesNotExist();
      assertThat(signedThroughEveryPath(a, b, postfix)).containsOnly(next);
      // owner = false: it followed every step and took none itself
      assertThat(follower.printed())
          .noneMatch(line -> line.contains("new standby key") || line.contains("record seen"))
          .noneMatch(line -> line.contains("revoked, private key deleted"));
    } finally {
      sink.close();
      zone.close();
    }
  }

  private RelayProcess relay(String name, int milterPort, boolean owner) throws IOException {
    Path config =
        Files.writeString(
            dir.resolve(name + ".toml"),
            String.join(
                "\n",
                "[listen]",
                "address = \"127.0.0.1:0\"",
                "[milter]",
                "address = \"inet:127.0.0.1:" + milterPort + "\"",
                "[upstream]",
                "address = \"127.0.0.1:" + sink.port() + "\"",
                "[signing]",
                "keys = \"" + keys + "\"",
                "[dns]",
                "resolver = \"127.0.0.1:" + zone.port() + "\"",
                "recheck = \"1s\"",
                "[rotation]",
                "every = \"6s\"",
                "publish-delay = \"1s\"",
                "grace = \"3s\"",
                "owner = " + owner,
                ""));
    return RelayProcess.start(
        dir.resolve(name + ".log"), List.of("-Xmx128m"), "run", "--config", config.toString());
  }

  /**
   * One message through each path — relay A's and relay B's SMTP proxy, Postfix's smtpd (milter A),
   * sendmail (milter B) — each verified by dkimpy against DNS; the selectors that signed them.
   */
  private List<String> signedThroughEveryPath(
      RelayProcess a, RelayProcess b, PostfixInstance postfix) throws Exception {
    List<String> selectors = new ArrayList<>();
    selectors.add(viaSmtp(a.port()));
    selectors.add(viaSmtp(b.port()));
    selectors.add(viaSmtp(submitPort));
    String to = "local" + (++sent) + "@example.org";
    ExternalTool.Result sendmail =
        ExternalTool.run(
            message(to).replace("\r\n", "\n").getBytes(StandardCharsets.US_ASCII),
            List.of(
                "/usr/sbin/sendmail",
                "-C",
                postfix.config().toString(),
                "-f",
                "alice@example.com",
                to));
    assertThat(sendmail.exit()).as(sendmail.toString()).isZero();
    selectors.add(verifiedSelector(awaitDeliveryTo(to)));
    return selectors;
  }

  private String viaSmtp(int port) throws Exception {
    String to = "smtp" + (++sent) + "@example.org";
    try (SmtpTestClient client = SmtpTestClient.connect(port)) {
      expect(client.reply(), "220");
      expect(client.command("EHLO client.test"), "250");
      expect(
          client.sendMail("alice@example.com", to, message(to).getBytes(StandardCharsets.US_ASCII)),
          "250");
    }
    return verifiedSelector(awaitDeliveryTo(to));
  }

  private static String message(String to) {
    return "From: Alice <alice@example.com>\r\nTo: "
        + to
        + "\r\nSubject: several instances\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
        + "Message-ID: <"
        + to
        + ">\r\n\r\nHello.\r\n";
  }

  private byte[] awaitDeliveryTo(String to) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (RecordingUpstream.Transaction transaction : sink.transactions()) {
        if (transaction.rcpts().contains("RCPT TO:<" + to + ">")) {
          return transaction.content();
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("nothing delivered to " + to + " within " + WAIT);
  }

  private String verifiedSelector(byte[] delivered) {
    String text = new String(delivered, StandardCharsets.US_ASCII);
    assertThat(text.split("DKIM-Signature: ", -1)).as(text).hasSize(2); // exactly one signature
    ExternalTool.Result dkimpy = Oracles.dkimpyVerify(delivered, zone.values());
    assertThat(dkimpy.exit()).as(dkimpy + "\n" + text).isZero();
    Matcher selector = SELECTOR.matcher(text);
    assertThat(selector.find()).isTrue();
    return selector.group(1);
  }

  private String awaitStandby(RelayProcess a, RelayProcess b) throws InterruptedException {
    String line = awaitPrinted(a, b, ": new standby key, rotation is due; publish ");
    Matcher standby = STANDBY.matcher(line);
    assertThat(standby.find()).isTrue();
    Thread.sleep(3_000); // three more rechecks of both: still one standby key
    return standby.group(1);
  }

  private static List<String> standbyLines(RelayProcess a, RelayProcess b) {
    return Stream.concat(a.printed().stream(), b.printed().stream())
        .filter(line -> line.contains(": new standby key"))
        .toList();
  }

  /** The first line either relay printed that contains {@code text}. */
  private static String awaitPrinted(RelayProcess a, RelayProcess b, String text)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (RelayProcess relay : List.of(a, b)) {
        for (String line : relay.printed()) {
          if (line.contains(text)) {
            return line;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("neither relay printed '" + text + "' within " + WAIT);
  }

  private void publish(String selector) throws IOException {
    zone.publish(
        selector,
        new ObjectMapper()
            .readTree(
                run("keys", "show", "example.com", selector, "--json", "--keys", keys.toString())));
  }

  private static String run(String... args) {
    ExternalTool.Result result = ExternalTool.run(RelayProcess.command(List.of(), args));
    assertThat(result.exit()).as(result.toString()).isZero();
    return result.out();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
