package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 8463 Appendix A: the Ed25519 example, reproduced byte for byte (Ed25519 is deterministic).
 */
class Rfc8463Test {
  static final String SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
  static final String RECORD = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  static final String ED25519_FIELD =
      "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
          + " d=football.example.com; i=@football.example.com;\r\n"
          + " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
          + " subject : date : message-id : from : subject : date;\r\n"
          + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
          + " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
          + " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n";
  static final String HEADERS =
      "From: Joe SixPack <joe@football.example.com>\r\n"
          + "To: Suzie Q <suzie@shopping.example.net>\r\n"
          + "Subject: Is dinner ready?\r\n"
          + "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
          + "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
          + "\r\n";
  static final String BODY = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
  static final Clock SIGNING_TIME = Clock.fixed(Instant.ofEpochSecond(1528637909), ZoneOffset.UTC);

  @Test
  void bodyHashMatchesTheRfc() throws Exception {
    BodyHasher hasher = new BodyHasher(Canonicalization.RELAXED);
    hasher.write(BODY.getBytes(StandardCharsets.US_ASCII));
    assertThat(hasher.finish()).isEqualTo("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
  }

  @ParameterizedTest
  @MethodSource("org.dkimrelay.relay.dkim.SignaturesTest#providers")
  void ourCanonicalisationAndEd25519SignerReproduceTheRfcSignature(Signatures signatures)
      throws Exception {
    HeaderBlock block =
        HeaderBlock.parse((ED25519_FIELD + HEADERS).getBytes(StandardCharsets.US_ASCII));
    HeaderField rfcField = block.all("DKIM-Signature").get(0);
    String unsigned = rfcField.toString().replaceFirst("b=[^;]*$", "b=");
    List<String> names =
        Arrays.asList("from:to:subject:date:message-id:from:subject:date".split(":"));
    byte[] data =
        HeaderCanonicalizer.withSignatureField(
            HeaderCanonicalizer.signedHeaders(block, names, Canonicalization.RELAXED),
            HeaderField.parse(unsigned.getBytes(StandardCharsets.US_ASCII)),
            Canonicalization.RELAXED);

    SigningKey key = TestKeys.rfc8463("football.example.com", "brisbane", signatures);

    assertThat(Base64.getEncoder().encodeToString(key.sign(data)))
        .isEqualTo(
            "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");
  }

  @Test
  void theRfcMessageVerifies() throws Exception {
    HeaderBlock block =
        HeaderBlock.parse((ED25519_FIELD + HEADERS).getBytes(StandardCharsets.US_ASCII));
    DkimVerifier verifier =
        new DkimVerifier(
            name ->
                name.equals("brisbane._domainkey.football.example.com")
                    ? List.of(RECORD)
                    : List.of(),
            SIGNING_TIME);
    List<DkimVerifier.Result> results =
        verifier.verify(block, new ByteArrayInputStream(BODY.getBytes(StandardCharsets.US_ASCII)));
    assertThat(results)
        .extracting(DkimVerifier.Result::line)
        .containsExactly("pass d=football.example.com s=brisbane a=ed25519-sha256");
  }

  @Test
  void aChangedHeaderFailsVerification() throws Exception {
    String changed = HEADERS.replace("Is dinner ready?", "Is dinner ready!");
    HeaderBlock block =
        HeaderBlock.parse((ED25519_FIELD + changed).getBytes(StandardCharsets.US_ASCII));
    DkimVerifier verifier = new DkimVerifier(name -> List.of(RECORD), SIGNING_TIME);
    List<DkimVerifier.Result> results =
        verifier.verify(block, new ByteArrayInputStream(BODY.getBytes(StandardCharsets.US_ASCII)));
    assertThat(results.get(0).status()).isEqualTo(DkimVerifier.Status.FAIL);
    assertThat(results.get(0).reason()).contains("signature did not verify");
  }
}
