package org.dkimrelay.relay.dkim;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.dkimrelay.keys.DkimKey;

/**
 * A key ready to sign: its JCA signature objects are initialised once and reused (a signature
 * object resets itself after each {@code sign()}), so no per-message key set-up is paid. Safe for
 * concurrent use: each caller borrows its own object.
 */
public final class SigningKey {
  private final DkimKey key;
  private final Signatures signatures;
  private final Queue<Signature> idle = new ConcurrentLinkedQueue<>();

  /** {@code key}, signing with the {@linkplain Signatures#selected selected} provider. */
  public SigningKey(DkimKey key) throws GeneralSecurityException {
    this(key, Signatures.selected());
  }

  public SigningKey(DkimKey key, Signatures signatures) throws GeneralSecurityException {
    this.key = key;
    this.signatures = signatures;
    idle.add(checked(newSignature()));
  }

  public DkimKey key() {
    return key;
  }

  /** Signs {@code data} (the canonicalised header data). */
  byte[] sign(byte[] data) throws GeneralSecurityException {
    Signature signature = idle.poll();
    if (signature == null) {
      signature = newSignature();
    }
    signature.update(data);
    byte[] result = signature.sign();
    idle.add(signature);
    return result;
  }

  /**
   * Signs a probe and verifies it with the public key, so a key that cannot sign (damaged on disk,
   * or one half of another pair) stops start-up here, whatever the provider: AWS-LC refuses such a
   * key when it is loaded, the JDK only when it signs (it checks each RSA result against the public
   * key, a guard against fault attacks on the CRT).
   */
  private Signature checked(Signature signature) throws GeneralSecurityException {
    byte[] probe = "dkimrelay key check".getBytes(StandardCharsets.US_ASCII);
    signature.update(probe);
    byte[] signed = signature.sign();
    Signature verifier = signatures.forAlgorithm(key.algorithm());
    verifier.initVerify(key.publicKey());
    verifier.update(probe);
    if (!verifier.verify(signed)) {
      throw new SignatureException("its signature does not verify with its public key");
    }
    return signature;
  }

  private Signature newSignature() throws GeneralSecurityException {
    Signature signature = signatures.forAlgorithm(key.algorithm());
    signature.initSign(key.privateKey());
    return signature;
  }

  @Override
  public String toString() {
    return key.domain() + "/" + key.selector() + " (" + key.describe() + ")";
  }
}
