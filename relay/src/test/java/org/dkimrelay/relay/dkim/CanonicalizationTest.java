package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.dkim.HeaderBlockTest.bytes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CanonicalizationTest {
  // RFC 6376 §3.4.5: the example message, written with its exact white space.
  private static final String EXAMPLE_HEADERS = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n";
  private static final String EXAMPLE_BODY = " C \r\nD \t E\r\n\r\n\r\n";

  @Test
  void rfc6376Section345RelaxedHeaders() throws Exception {
    HeaderBlock block = HeaderBlock.parse(bytes(EXAMPLE_HEADERS));
    byte[] canonical =
        HeaderCanonicalizer.signedHeaders(block, List.of("a", "b"), Canonicalization.RELAXED);
    assertThat(new String(canonical, StandardCharsets.US_ASCII)).isEqualTo("a:X\r\nb:Y Z\r\n");
  }

  @Test
  void rfc6376Section345SimpleHeaders() throws Exception {
    HeaderBlock block = HeaderBlock.parse(bytes(EXAMPLE_HEADERS));
    byte[] canonical =
        HeaderCanonicalizer.signedHeaders(block, List.of("a", "b"), Canonicalization.SIMPLE);
    assertThat(new String(canonical, StandardCharsets.US_ASCII))
        .isEqualTo("A: X\r\nB : Y\t\r\n\tZ  \r\n");
  }

  @Test
  void rfc6376Section345Bodies() throws IOException {
    // relaxed: " C\r\nD E\r\n"; simple: " C \r\nD \t E\r\n" (trailing empty lines removed)
    assertThat(hash(Canonicalization.RELAXED, EXAMPLE_BODY)).isEqualTo(sha256(" C\r\nD E\r\n"));
    assertThat(hash(Canonicalization.SIMPLE, EXAMPLE_BODY)).isEqualTo(sha256(" C \r\nD \t E\r\n"));
  }

  @ParameterizedTest(name = "{0} body \"{1}\"")
  @CsvSource({
    // RFC 6376 §3.4.3 and §3.4.4: an empty body is CRLF for simple, nothing for relaxed.
    "SIMPLE, '', frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
    "RELAXED, '', 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    "SIMPLE, '\r\n\r\n', frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
    "RELAXED, '\r\n \r\n\t\r\n', 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
  })
  void emptyBodyHashes(Canonicalization canonicalization, String body, String expected)
      throws IOException {
    assertThat(hash(canonicalization, body)).isEqualTo(expected);
  }

  @Test
  void bodyHashIsTheSameWhereverTheInputIsSplit() throws IOException {
    String body = "Line one  \r\n\tindented\t \r\n\r\n.dot\r\ntrailing\r\n\r\n\r\n";
    byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
    for (Canonicalization canonicalization : Canonicalization.values()) {
      String whole = hash(canonicalization, body);
      for (int split = 0; split <= bytes.length; split++) {
        for (int second = split; second <= bytes.length; second++) {
          BodyHasher hasher = new BodyHasher(canonicalization);
          hasher.write(bytes, 0, split);
          hasher.write(bytes, split, second - split);
          hasher.write(bytes, second, bytes.length - second);
          assertThat(hasher.finish())
              .as("%s split at %d,%d", canonicalization, split, second)
              .isEqualTo(whole);
        }
      }
    }
  }

  @Test
  void canonicalizationPairParsesAndRefuses() {
    assertThat(Canonicalization.Pair.parse("relaxed/simple").tagValue())
        .isEqualTo("relaxed/simple");
    assertThat(Canonicalization.Pair.parse("relaxed").tagValue()).isEqualTo("relaxed/simple");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Canonicalization.Pair.parse("loose"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  static String hash(Canonicalization canonicalization, String body) throws IOException {
    BodyHasher hasher = new BodyHasher(canonicalization);
    hasher.write(body.getBytes(StandardCharsets.US_ASCII));
    return hasher.finish();
  }

  static String sha256(String text) {
    try {
      return java.util.Base64.getEncoder()
          .encodeToString(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(text.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
