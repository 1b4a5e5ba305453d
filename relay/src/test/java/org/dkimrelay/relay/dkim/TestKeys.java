package org.dkimrelay.relay.dkim;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.PemKeys;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;

/** Keys for unit tests: the RFC 8463 Ed25519 key, and fresh keys made on the spot. */
final class TestKeys {
  private TestKeys() {}

  static SigningKey rfc8463(String domain, String selector) throws GeneralSecurityException {
    return rfc8463(domain, selector, Signatures.selected());
  }

  static SigningKey rfc8463(String domain, String selector, Signatures signatures)
      throws GeneralSecurityException {
    return new SigningKey(
        PemKeys.fromEd25519Seed(Base64.getDecoder().decode(Rfc8463Test.SEED))
            .as(SigningDomain.parse(domain), Selector.parse(selector)),
        signatures);
  }

  static SigningKey fresh(String domain, String selector, KeyAlgorithm algorithm)
      throws GeneralSecurityException {
    return new SigningKey(
        new DkimKeyGenerator(new SecureRandom())
            .generate(SigningDomain.parse(domain), Selector.parse(selector), algorithm, 2048));
  }
}
