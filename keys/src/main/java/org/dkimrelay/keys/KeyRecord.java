package org.dkimrelay.keys;

import java.util.Arrays;
import java.util.Base64;

/** The value of a DKIM key record (RFC 6376 §3.6.1): {@code v=DKIM1; k=...; p=...}. */
public record KeyRecord(KeyAlgorithm algorithm, byte[] publicKey) {

  public KeyRecord {
    publicKey = publicKey.clone();
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The record text, tags in the order receivers and DNS panels usually show them. */
  public String value() {
    return "v=DKIM1; k="
        + algorithm.keyType()
        + "; p="
        + Base64.getEncoder().encodeToString(publicKey);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof KeyRecord that
        && algorithm == that.algorithm
        && Arrays.equals(publicKey, that.publicKey);
  }

  @Override
  public int hashCode() {
    return 31 * algorithm.hashCode() + Arrays.hashCode(publicKey);
  }

  @Override
  public String toString() {
    return value();
  }
}
