package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.dkimrelay.relay.cli.Corpus;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RecordingUpstream;
import org.dkimrelay.relay.testing.SmtpTestClient;

/**
 * The interop corpus sent through a real MTA that signs with dkimrelay (keys r1 RSA and e1 Ed25519
 * for example.com, r1 for xn--bcher-kva.example), one recipient per message, and each delivered
 * message checked with dkimpy and Mail::DKIM.
 */
final class CorpusThroughMta {
  private static final Pattern SIGNATURE = Pattern.compile("(?im)^DKIM-Signature:");

  private CorpusThroughMta() {}

  /** Sends {@code corpus} over one session; returns the messages as the sink received them. */
  static List<byte[]> send(
      int port, RecordingUpstream sink, List<Corpus.Message> corpus, Duration limit)
      throws Exception {
    int before = sink.transactions().size();
    try (SmtpTestClient client = SmtpTestClient.connect(port)) {
      client.reply();
      client.command("EHLO client.test");
      for (int i = 0; i < corpus.size(); i++) {
        String reply = client.sendMail("alice@example.com", rcpt(i), corpus.get(i).bytes());
        assertThat(reply).as(corpus.get(i).name()).startsWith("250");
      }
    }
    List<RecordingUpstream.Transaction> arrived =
        sink.awaitTransactions(before + corpus.size(), limit);
    return java.util.stream.IntStream.range(0, corpus.size())
        .mapToObj(
            i ->
                arrived.stream()
                    .filter(
                        t ->
                            t.rcpts().stream().anyMatch(line -> line.contains("<" + rcpt(i) + ">")))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("nothing arrived for " + rcpt(i)))
                    .content())
        .toList();
  }

  /** Our signatures are there (two for example.com, one otherwise) and both verifiers pass them. */
  static void verify(Corpus.Message message, byte[] delivered, Map<String, String> records)
      throws IOException {
    String text = new String(delivered, StandardCharsets.ISO_8859_1);
    int ours = message.signedBy().equals("example.com") ? 2 : 1; // RSA + Ed25519, or RSA
    int foreign = message.name().equals("existing foreign signature") ? 1 : 0;
    assertThat(SIGNATURE.matcher(text).results().count())
        .as(message.name())
        .isEqualTo(ours + foreign);
    if (message.dkimpyParses()) {
      ExternalTool.Result dkimpy = Oracles.dkimpyVerify(delivered, records);
      assertThat(dkimpy.out().lines().filter(l -> l.startsWith("pass d=" + message.signedBy())))
          .as(message.name() + ": " + dkimpy)
          .hasSize(ours);
    }
    ExternalTool.Result perl = Oracles.mailDkimVerify(delivered, records);
    assertThat(
            perl.out()
                .lines()
                .filter(l -> l.startsWith("pass d=" + message.signedBy() + " s=r1 a=rsa-sha256")))
        .as(message.name() + ": " + perl)
        .hasSize(1);
  }

  private static String rcpt(int index) {
    return "m" + index + "@example.org";
  }
}
