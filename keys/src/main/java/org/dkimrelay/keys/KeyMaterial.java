package org.dkimrelay.keys;

import java.security.PrivateKey;
import java.security.PublicKey;

/** A private key read from a file, with the public half derived from it. */
public record KeyMaterial(KeyAlgorithm algorithm, PrivateKey privateKey, PublicKey publicKey) {

  /** Names this material as the key {@code selector} of {@code domain}. */
  public DkimKey as(SigningDomain domain, Selector selector) {
    return new DkimKey(domain, selector, algorithm, privateKey, publicKey);
  }
}
