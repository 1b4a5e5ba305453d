package org.dkimrelay.relay.dkim;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.Signature;
import java.util.Optional;
import org.conscrypt.Conscrypt;
import org.dkimrelay.keys.KeyAlgorithm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JCA signature for each DKIM algorithm: SHA256withRSA, or ours for ed25519-sha256. RSA, the
 * cost that bounds the relay, comes from Conscrypt (BoringSSL) where its native library loads, and
 * from the JDK's own provider otherwise or when {@code -Ddkimrelay.rsa-provider=jdk} asks for it.
 */
public final class Signatures {
  private static final Logger LOG = LoggerFactory.getLogger(Signatures.class);
  private static final Optional<Provider> NATIVE_RSA = nativeRsa();

  private Signatures() {}

  /** A new, uninitialised signature object for {@code algorithm}. */
  public static Signature forAlgorithm(KeyAlgorithm algorithm) throws GeneralSecurityException {
    if (algorithm == KeyAlgorithm.ED25519) {
      return Signature.getInstance(
          Ed25519Sha256Signature.ALGORITHM, Ed25519Sha256Signature.PROVIDER);
    }
    return NATIVE_RSA.isPresent()
        ? Signature.getInstance("SHA256withRSA", NATIVE_RSA.get())
        : Signature.getInstance("SHA256withRSA");
  }

  /** The provider RSA signatures come from, for logs and benchmarks. */
  public static String rsaProvider() {
    return NATIVE_RSA.map(Provider::getName).orElse("SunRsaSign");
  }

  private static Optional<Provider> nativeRsa() {
    if ("jdk".equals(System.getProperty("dkimrelay.rsa-provider"))) {
      return Optional.empty();
    }
    try {
      if (Conscrypt.isAvailable()) {
        return Optional.of(Conscrypt.newProvider());
      }
      LOG.info(
          "Conscrypt's native library is not available here: RSA signs with the JDK's provider");
    } catch (LinkageError | RuntimeException e) {
      LOG.info("Conscrypt cannot load ({}): RSA signs with the JDK's provider", e.toString());
    }
    return Optional.empty();
  }
}
