package org.dkimrelay.keys;

import java.util.Locale;

/** The two DKIM key types we generate and sign with (RFC 6376 §3.3, RFC 8463). */
public enum KeyAlgorithm {
  RSA("rsa", "rsa-sha256", 'r'),
  ED25519("ed25519", "ed25519-sha256", 'e');

  private final String keyType;
  private final String signatureAlgorithm;
  private final char selectorSuffix;

  KeyAlgorithm(String keyType, String signatureAlgorithm, char selectorSuffix) {
    this.keyType = keyType;
    this.signatureAlgorithm = signatureAlgorithm;
    this.selectorSuffix = selectorSuffix;
  }

  /** The key record's {@code k=} value. */
  public String keyType() {
    return keyType;
  }

  /** The signature's {@code a=} value; rsa-sha1 is never used (RFC 8301 §3.1). */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  /** The letter that ends a default selector: {@code 202611r}, {@code 202611e}. */
  char selectorSuffix() {
    return selectorSuffix;
  }

  /** Parses {@code rsa} or {@code ed25519}, case-insensitively. */
  public static KeyAlgorithm parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (KeyAlgorithm algorithm : values()) {
      if (algorithm.keyType.equals(wanted)) {
        return algorithm;
      }
    }
    throw new KeyToolException("unknown key algorithm '" + text + "': use rsa or ed25519");
  }
}
