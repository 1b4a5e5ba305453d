package org.dkimrelay.relay.dkim;

import java.security.GeneralSecurityException;
import java.security.Signature;
import org.dkimrelay.keys.KeyAlgorithm;

/** The JCA signature for each DKIM algorithm: SHA256withRSA, or ours for ed25519-sha256. */
public final class Signatures {
  private Signatures() {}

  /** A new, uninitialised signature object for {@code algorithm}. */
  public static Signature forAlgorithm(KeyAlgorithm algorithm) throws GeneralSecurityException {
    return algorithm == KeyAlgorithm.RSA
        ? Signature.getInstance("SHA256withRSA")
        : Signature.getInstance(Ed25519Sha256Signature.ALGORITHM, Ed25519Sha256Signature.PROVIDER);
  }
}
