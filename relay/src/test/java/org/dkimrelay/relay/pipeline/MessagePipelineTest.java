package org.dkimrelay.relay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.cli.Corpus;
import org.dkimrelay.relay.dkim.DkimSigner;
import org.dkimrelay.relay.dkim.FailingSignatures;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dkim.SigningTable;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.testing.DefaultPolicy;
import org.dkimrelay.relay.testing.TestKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The one pipeline without a socket: policy, replies and fields as values, counted once. */
class MessagePipelineTest {
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1796000000), ZoneOffset.UTC);
  private static SigningKey key;

  @BeforeAll
  static void key() {
    key = TestKeys.ed25519("example.com", "e1");
  }

  private static MessagePipeline pipeline(boolean rejectUnknown, boolean rejectMalformed) {
    return pipeline(key, rejectUnknown, rejectMalformed);
  }

  private static MessagePipeline pipeline(
      SigningKey signingKey, boolean rejectUnknown, boolean rejectMalformed) {
    return new MessagePipeline(
        new SigningEngine(
            new SigningTable(List.of(signingKey), true),
            new DkimSigner(DefaultPolicy.signing(), CLOCK),
            rejectUnknown,
            rejectMalformed),
        new RelayMetrics(),
        false);
  }

  private static Verdict run(MessagePipeline pipeline, String header, String body)
      throws Exception {
    MessagePipeline.Message message = pipeline.begin("test");
    message.body().write(body.getBytes(StandardCharsets.US_ASCII));
    return message.finish(header.getBytes(StandardCharsets.US_ASCII));
  }

  /** A message to its end: signed (or not), then logged and counted as the next hop took it. */
  private static Verdict ended(
      MessagePipeline pipeline, String header, String body, boolean accepted) throws Exception {
    MessagePipeline.Message message = pipeline.begin("test");
    message.body().write(body.getBytes(StandardCharsets.US_ASCII));
    Verdict verdict = message.finish(header.getBytes(StandardCharsets.US_ASCII));
    message.end("test", verdict, body.length(), accepted ? "250 ok" : "554 no", accepted);
    return verdict;
  }

  @Test
  void aMessageOfADomainWithAKeyGetsOneFieldAndTheLogLineNamesIt() throws Exception {
    Verdict verdict =
        run(pipeline(false, true), "From: a@example.com\r\nSubject: s\r\n\r\n", "body\r\n");
    assertThat(verdict).isInstanceOf(Verdict.Send.class);
    Verdict.Send send = (Verdict.Send) verdict;
    assertThat(send.fields()).hasSize(1);
    assertThat(send.fields().get(0).text()).startsWith("DKIM-Signature: v=1; a=ed25519-sha256;");
    assertThat(send.description())
        .isEqualTo("from=example.com signed=d=example.com s=e1 a=ed25519-sha256");
  }

  @Test
  void aLongBodyLineIsHashedAsTheNextMtaWillBreakItAndShortLinesAsTheyAre() throws Exception {
    String header = "From: a@example.com\r\nSubject: s\r\n\r\n";
    String longBody = "short\r\n" + "q".repeat(2500) + "\r\n";
    String broken = Corpus.brokenAsPostfixSends(longBody, 998);
    assertThat(broken).isNotEqualTo(longBody);
    Verdict asSent = run(pipeline(false, true), header, longBody);
    Verdict asBroken = run(pipeline(false, true), header, broken);
    assertThat(bodyHash(asSent)).isEqualTo(bodyHash(asBroken));
    Verdict shortOnly = run(pipeline(false, true), header, "short\r\n");
    assertThat(bodyHash(shortOnly)).isNotEqualTo(bodyHash(asSent));
  }

  private static String bodyHash(Verdict verdict) {
    String field = ((Verdict.Send) verdict).fields().get(0).text().replaceAll("\\s+", "");
    int bh = field.indexOf("bh=");
    return field.substring(bh, field.indexOf(';', bh));
  }

  @Test
  void twoFromFieldsAreRefusedWith550OrPassedUnsignedByPolicy() throws Exception {
    String header = "From: a@example.com\r\nFrom: b@example.net\r\n\r\n";
    Verdict refused = run(pipeline(false, true), header, "x\r\n");
    assertThat(refused).isInstanceOf(Verdict.Refuse.class);
    assertThat(((Verdict.Refuse) refused).reply().wire())
        .startsWith("550 5.6.0 cannot sign this message: 2 From: header fields");
    Verdict passed = run(pipeline(false, false), header, "x\r\n");
    assertThat(passed).isInstanceOf(Verdict.Send.class);
    assertThat(((Verdict.Send) passed).fields()).isEmpty();
  }

  @Test
  void anUnknownDomainPassesUnsignedOrGets550_5_7_1() throws Exception {
    String header = "From: a@example.net\r\n\r\n";
    Verdict passed = run(pipeline(false, true), header, "x\r\n");
    assertThat(((Verdict.Send) passed).fields()).isEmpty();
    assertThat(passed.description()).isEqualTo("unsigned=\"no key for From domain example.net\"");
    Verdict refused = run(pipeline(true, true), header, "x\r\n");
    assertThat(((Verdict.Refuse) refused).reply().wire())
        .isEqualTo("550 5.7.1 not signing for this sender: no key for From domain example.net");
  }

  @Test
  void aReplacedEngineSignsFromTheNextMessageAndAMessageInProgressKeepsItsOwn() throws Exception {
    MessagePipeline pipeline = pipeline(false, true);
    MessagePipeline.Message started = pipeline.begin("before");
    pipeline.replaceEngine(pipeline.engine().withKeys(List.of()));
    started.body().write("x\r\n".getBytes(StandardCharsets.US_ASCII));
    Verdict old = started.finish("From: a@example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(((Verdict.Send) old).fields()).hasSize(1);
    Verdict next = run(pipeline, "From: a@example.com\r\n\r\n", "x\r\n");
    assertThat(((Verdict.Send) next).fields()).isEmpty();
  }

  @Test
  void signedMessagesAreCountedOncePerSignatureOnlyWhenAccepted() throws Exception {
    MessagePipeline pipeline = pipeline(false, true);
    ended(pipeline, "From: a@example.com\r\n\r\n", "body\r\n", false);
    assertThat(pipeline.metrics().scrape()).doesNotContain("dkimrelay_messages_signed_total{");
    ended(pipeline, "From: a@example.com\r\n\r\n", "body\r\n", true);
    assertThat(pipeline.metrics().scrape())
        .contains(
            "dkimrelay_messages_signed_total{algorithm=\"ed25519-sha256\",domain=\"example.com\",selector=\"e1\"} 1.0");
  }

  @Test
  void aSignatureThatFailsGives451AndIsCountedAsASigningTempfailure() throws Exception {
    FailingSignatures failing = new FailingSignatures();
    SigningKey rsa =
        new SigningKey(
            new DkimKeyGenerator(new SecureRandom())
                .generate(
                    SigningDomain.parse("example.com"),
                    Selector.parse("r1"),
                    KeyAlgorithm.RSA,
                    2048),
            failing.signatures());
    MessagePipeline pipeline = pipeline(rsa, false, true);
    assertThat(run(pipeline, "From: a@example.com\r\n\r\n", "x\r\n"))
        .isInstanceOf(Verdict.Send.class);

    failing.breakDown();
    Verdict verdict = ended(pipeline, "From: a@example.com\r\n\r\n", "x\r\n", false);
    assertThat(((Verdict.Refuse) verdict).reply().wire())
        .isEqualTo("451 4.3.0 signing failed: message kept for retry, not sent unsigned");
    assertThat(verdict.description()).contains("failed=").contains("broken on purpose");
    assertThat(pipeline.metrics().scrape())
        .contains("dkimrelay_messages_tempfailed_total{reason=\"signing\"} 1.0");
  }

  @Test
  void limitsAreVerdictsCountedOnceAtTheEnd() throws Exception {
    MessagePipeline pipeline = pipeline(false, true);
    MessagePipeline.Message large = pipeline.begin("large");
    Verdict tooLarge = large.refuseTooLarge(1000);
    assertThat(((Verdict.Refuse) tooLarge).reply().wire())
        .startsWith("552 5.3.4 ")
        .contains("1000");
    assertThat(pipeline.metrics().scrape()).doesNotContain("reason=\"too_large\"");
    large.end("test", tooLarge, 2000, "");
    MessagePipeline.Message eightBit = pipeline.begin("8bit");
    Verdict refused = eightBit.refuseEightBit();
    eightBit.end("test", refused, 10, "");
    MessagePipeline.Message stored = pipeline.begin("storage");
    Verdict deferred = stored.refuseStorage("disk full");
    stored.end("test", deferred, -1, "");
    assertThat(deferred.description()).isEqualTo("deferred=\"disk full\"");
    assertThat(pipeline.metrics().scrape())
        .contains("dkimrelay_messages_refused_total{reason=\"too_large\"} 1.0")
        .contains("dkimrelay_messages_refused_total{reason=\"8bit\"} 1.0")
        .contains("dkimrelay_messages_tempfailed_total{reason=\"spool\"} 1.0");
  }

  @Test
  void aLoginsMismatchIsRefusedAndCountedByTheLoginsDomain() throws Exception {
    MessagePipeline pipeline = pipeline(false, true);
    MessagePipeline.Message message = pipeline.begin("t", Optional.of("bob@example.net"));
    message.body().write("x\r\n".getBytes(StandardCharsets.US_ASCII));
    Verdict verdict =
        message.finish("From: a@example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(((Verdict.Refuse) verdict).reply().wire())
        .startsWith("550 5.7.1 not signing for this sender: login bob@example.net may not sign");
    message.end("test", verdict, 3, "");
    assertThat(pipeline.metrics().scrape())
        .contains("dkimrelay_login_mismatches_total{login_domain=\"example.net\"} 1.0")
        .contains("dkimrelay_messages_refused_total{reason=\"login_mismatch\"} 1.0");
  }

  @Test
  void aLoginWithLineBreaksCannotBreakTheReplyOrTheLogLine() throws Exception {
    MessagePipeline pipeline = pipeline(false, true);
    MessagePipeline.Message message =
        pipeline.begin("t", Optional.of("bob\r\n250 2.0.0 fake\"@example.net"));
    Verdict verdict =
        message.finish("From: a@example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    String wire = ((Verdict.Refuse) verdict).reply().wire();
    assertThat(wire).startsWith("550 5.7.1 ").contains("login bob??250?2.0.0?fake?@example.net");
    assertThat(wire).as("one line").doesNotContain("\r").doesNotContain("\n");
    assertThat(verdict.description()).doesNotContain("\r").doesNotContain("\n");
  }
}
