package org.dkimrelay.keys;

import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;

/** One signing key: where it publishes ({@code d=}, {@code s=}), its type and both halves. */
public record DkimKey(
    SigningDomain domain,
    Selector selector,
    KeyAlgorithm algorithm,
    PrivateKey privateKey,
    PublicKey publicKey) {

  /** RSA modulus size in bits; 256 for Ed25519. */
  public int bits() {
    return privateKey instanceof RSAKey rsa ? rsa.getModulus().bitLength() : 256;
  }

  /**
   * The bytes whose base64 is the record's {@code p=}: for RSA the SubjectPublicKeyInfo DER (RFC
   * 6376 §3.6.1), for Ed25519 the raw 32-byte key (RFC 8463 §4.2), not Java's 44-byte encoding.
   */
  public byte[] dnsPublicKey() {
    byte[] encoded = publicKey.getEncoded();
    return switch (algorithm) {
      case RSA -> encoded;
      case ED25519 -> PemKeys.ed25519Raw(encoded);
    };
  }

  /** The key's DNS record value, ready to publish. */
  public KeyRecord record() {
    return new KeyRecord(algorithm, dnsPublicKey());
  }

  /** The TXT record to publish for this key. */
  public TxtRecord txtRecord(int ttl) {
    return new TxtRecord(selector.recordName(domain), ttl, record().value());
  }

  /** A short description for listings: {@code rsa 2048} or {@code ed25519}. */
  public String describe() {
    return algorithm == KeyAlgorithm.RSA ? "rsa " + bits() : "ed25519";
  }
}
