package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.relay.config.SigningConfig;
import org.dkimrelay.relay.testing.DefaultPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DkimSignerTest {
  private static final byte[] HEADERS = Rfc8463Test.HEADERS.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BODY = Rfc8463Test.BODY.getBytes(StandardCharsets.US_ASCII);

  // Golden: the RFC 8463 message and key, our default policy, t=1528637909. Ed25519 is
  // deterministic, so any change in canonicalisation, tag order or folding shows here.
  private static final String GOLDEN =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
          + " d=football.example.com; s=brisbane; t=1528637909; h=from:from:to:to:cc:\r\n"
          + " subject:subject:date:date:message-id:reply-to;\r\n"
          + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=vjtojM4OGl5Qdo8NZHwZ5R1CsB\r\n"
          + " 5Jih2ulSmH9kdLJ/ogzgb7+gRe23z0WH/6RrYFVRa7YWop3DCdkYJ1gMFaCA==\r\n";

  // The same message signed with the test key golden-rsa-2048.pem (dkimpy 1.1.4 verified it).
  private static final String RSA_GOLDEN =
      "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=football.example.com;\r\n"
          + " s=rsa; t=1528637909; h=from:from:to:to:cc:subject:subject:date:date:\r\n"
          + " message-id:reply-to; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
          + " b=U1nLyu+Zw6c21gTH+72dh3MQVRGrco5Hu7qQ2xz76mBbBzRP6RbTVOZqk0rNJRaZklxI9Dyxk/w\r\n"
          + " e7ADGeUQFUq6sWdeO9Dqp7I9y9HfS6jk5AQsoWiSW8lglHKMe6SgOjj/qr3iruHRI9Ogvb0B81N1c\r\n"
          + " VVl9kb+zw0TEeHLQaZS0yXRSxxl90mkI1nztgXY7pxI3XFUZ6oksT/wlq72k9MiEO22FCEINcbkAO\r\n"
          + " +OeWxNUkQJ/pUmodtF58uHQIYCXctjEV2L0mZSYN2gNlxq5YuvG4+135rpTVahXJ2Ky1414tI/XZL\r\n"
          + " rN7b3sy7eHl49yD60pUNqphw+hszfcgCL8LQ==\r\n";

  private static List<DkimSigner.SignatureField> sign(SigningPolicy policy, SigningKey... keys)
      throws Exception {
    DkimSigner signer = new DkimSigner(policy, Rfc8463Test.SIGNING_TIME);
    BodyHasher hasher = signer.newBodyHasher();
    hasher.write(BODY);
    return signer.sign(HeaderBlock.parse(HEADERS), hasher.finish(), List.of(keys), Map.of());
  }

  @ParameterizedTest
  @MethodSource("org.dkimrelay.relay.dkim.SignaturesTest#providers")
  void goldenSignatureUnderAFixedClock(Signatures signatures) throws Exception {
    String field =
        sign(
                DefaultPolicy.signing(),
                TestKeys.rfc8463("football.example.com", "brisbane", signatures))
            .get(0)
            .text();
    assertThat(field).isEqualTo(GOLDEN);
  }

  @ParameterizedTest
  @MethodSource("org.dkimrelay.relay.dkim.SignaturesTest#providers")
  void goldenRsaSignatureUnderAFixedClock(Signatures signatures) throws Exception {
    String field =
        sign(DefaultPolicy.signing(), new SigningKey(SignaturesTest.goldenRsaKey(), signatures))
            .get(0)
            .text();
    assertThat(field).isEqualTo(RSA_GOLDEN);
  }

  @Test
  void everyLineOfTheFieldFitsIn78Columns() throws Exception {
    SigningKey rsa4096 =
        TestKeys.fresh("football.example.com", "long-selector-name-for-folding", KeyAlgorithm.RSA);
    for (DkimSigner.SignatureField field : sign(DefaultPolicy.signing(), rsa4096)) {
      assertThat(field.text().split("\r\n"))
          .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(78));
      assertThat(field.text()).endsWith("\r\n").doesNotContain("\n\n").doesNotContain(" l=");
    }
  }

  @Test
  void oversignedNamesAreListedOnceMoreThanPresentAndAbsentOnesOnlyWhenOversigned()
      throws Exception {
    SigningPolicy policy =
        new SigningPolicy(
            List.of("From", "To", "Subject", "Cc", "List-Id"),
            Set.of("from", "cc"),
            new Canonicalization.Pair(Canonicalization.RELAXED, Canonicalization.RELAXED),
            Optional.empty(),
            SigningConfig.DEFAULT_LINE_LENGTH_LIMIT);
    assertThat(policy.signedHeaderNames(HeaderBlock.parse(HEADERS)))
        .containsExactly("from", "from", "to", "subject", "cc");
  }

  @Test
  void expiryAddsXAfterT() throws Exception {
    SigningPolicy policy =
        new SigningPolicy(
            SigningConfig.DEFAULT_HEADERS,
            Set.copyOf(SigningConfig.DEFAULT_OVERSIGN),
            new Canonicalization.Pair(Canonicalization.SIMPLE, Canonicalization.SIMPLE),
            Optional.of(Duration.ofDays(7)),
            SigningConfig.DEFAULT_LINE_LENGTH_LIMIT);
    String field = sign(policy, TestKeys.rfc8463("football.example.com", "brisbane")).get(0).text();
    assertThat(field)
        .contains("t=1528637909; x=" + (1528637909 + 7 * 86400) + ";")
        .contains("c=simple/simple;");
  }

  @Test
  void twoKeysGiveTwoSignaturesThatBothVerify() throws Exception {
    SigningKey rsa = TestKeys.fresh("football.example.com", "r1", KeyAlgorithm.RSA);
    SigningKey ed = TestKeys.rfc8463("football.example.com", "e1");
    List<DkimSigner.SignatureField> fields = sign(DefaultPolicy.signing(), rsa, ed);
    assertThat(fields).hasSize(2);
    String rsaRecord = rsa.key().record().value();
    String edRecord = ed.key().record().value();
    byte[] signed =
        (fields.get(0).text() + fields.get(1).text() + Rfc8463Test.HEADERS)
            .getBytes(StandardCharsets.US_ASCII);
    DkimVerifier verifier =
        new DkimVerifier(
            name -> List.of(name.startsWith("r1.") ? rsaRecord : edRecord),
            Rfc8463Test.SIGNING_TIME);
    assertThat(verifier.verify(HeaderBlock.parse(signed), new ByteArrayInputStream(BODY)))
        .allSatisfy(result -> assertThat(result.status()).isEqualTo(DkimVerifier.Status.PASS))
        .hasSize(2);
  }

  @Test
  void signaturesDoNotDependOnTheDefaultLocale() throws Exception {
    SigningPolicy upperCaseNames =
        new SigningPolicy(
            List.of("FROM", "TITLE-ID", "Subject"),
            Set.of("TITLE-ID"),
            new Canonicalization.Pair(Canonicalization.RELAXED, Canonicalization.RELAXED),
            Optional.empty(),
            SigningConfig.DEFAULT_LINE_LENGTH_LIMIT);
    SigningKey key = TestKeys.rfc8463("football.example.com", "brisbane");
    Locale saved = Locale.getDefault();
    try {
      String english = sign(upperCaseNames, key).get(0).text();
      Locale.setDefault(Locale.forLanguageTag("tr-TR")); // "I".toLowerCase() is a dotless ı here
      String turkish = sign(upperCaseNames, key).get(0).text();
      assertThat(turkish).isEqualTo(english).contains("h=from:title-id:subject;");
    } finally {
      Locale.setDefault(saved);
    }
  }
}
