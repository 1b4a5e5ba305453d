package org.dkimrelay.keys;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.RSAKeyGenParameterSpec;

/** Generates new key pairs; the randomness is passed in so tests can make keys reproducibly. */
public final class DkimKeyGenerator {
  private final SecureRandom random;

  public DkimKeyGenerator(SecureRandom random) {
    this.random = random;
  }

  /**
   * A new key pair. {@code rsaBits} is used for RSA only and must already have passed {@link
   * RsaKeySize#checkForGeneration}.
   */
  public DkimKey generate(
      SigningDomain domain, Selector selector, KeyAlgorithm algorithm, int rsaBits) {
    try {
      KeyPair pair =
          switch (algorithm) {
            case RSA -> {
              KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
              generator.initialize(
                  new RSAKeyGenParameterSpec(rsaBits, BigInteger.valueOf(65537)), random);
              yield generator.generateKeyPair();
            }
            case ED25519 -> {
              KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
              generator.initialize(255, random);
              yield generator.generateKeyPair();
            }
          };
      return new DkimKey(domain, selector, algorithm, pair.getPrivate(), pair.getPublic());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate " + algorithm + " keys", e);
    }
  }
}
