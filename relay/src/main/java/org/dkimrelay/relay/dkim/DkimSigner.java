package org.dkimrelay.relay.dkim;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Computes DKIM-Signature fields (RFC 6376 §5) for a header block and a body hash. Pure: no I/O;
 * the message bytes are not touched, only the new fields are returned, to be sent before them.
 */
public final class DkimSigner {
  private final SigningPolicy policy;
  private final Clock clock;

  public DkimSigner(SigningPolicy policy, Clock clock) {
    this.policy = policy;
    this.clock = clock;
  }

  public SigningPolicy policy() {
    return policy;
  }

  /** A body hasher for this policy's body canonicalisation; one serves every key. */
  public BodyHasher newBodyHasher() {
    return new BodyHasher(policy.canonicalization().body());
  }

  /** One new field: the key that made it and its bytes, CRLF-terminated. */
  public record SignatureField(SigningKey key, byte[] bytes) {
    public SignatureField {
      bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    public String text() {
      return new String(bytes, StandardCharsets.US_ASCII);
    }
  }

  /**
   * Signs with each key, in order, with the key's own domain as {@code d=} and, for a key in {@code
   * identities}, that {@code i=}. The caller chose {@code keys} from the signing table.
   *
   * @throws GeneralSecurityException when a key cannot sign: the message must then not be sent
   *     unsigned
   */
  public List<SignatureField> sign(
      HeaderBlock headers,
      String bodyHash,
      List<SigningKey> keys,
      Map<SigningKey, String> identities)
      throws GeneralSecurityException {
    List<String> signedNames = policy.signedHeaderNames(headers);
    byte[] signedHeaders =
        HeaderCanonicalizer.signedHeaders(headers, signedNames, policy.canonicalization().header());
    long now = clock.instant().getEpochSecond();
    List<SignatureField> fields = new ArrayList<>(keys.size());
    for (SigningKey key : keys) {
      SignatureFieldBuilder builder =
          new SignatureFieldBuilder()
              .tag("v=1;")
              .tag("a=" + key.key().algorithm().signatureAlgorithm() + ";")
              .tag("c=" + policy.canonicalization().tagValue() + ";")
              .tag("d=" + key.key().domain().name() + ";")
              .tag("s=" + key.key().selector().value() + ";");
      Optional.ofNullable(identities.get(key)).ifPresent(i -> builder.tag("i=" + i + ";"));
      builder.tag("t=" + now + ";");
      policy.expire().ifPresent(expire -> builder.tag("x=" + (now + expire.toSeconds()) + ";"));
      builder.headerList(signedNames).tag("bh=" + bodyHash + ";");
      String unsigned = builder.unsignedText();
      byte[] data = withSignatureField(signedHeaders, unsigned);
      String signature = Base64.getEncoder().encodeToString(key.sign(data));
      byte[] field = builder.signedText(signature).getBytes(StandardCharsets.US_ASCII);
      fields.add(new SignatureField(key, field));
    }
    return fields;
  }

  private byte[] withSignatureField(byte[] signedHeaders, String unsignedField) {
    HeaderField field = HeaderField.parse(unsignedField.getBytes(StandardCharsets.US_ASCII));
    return HeaderCanonicalizer.withSignatureField(
        signedHeaders, field, policy.canonicalization().header());
  }
}
