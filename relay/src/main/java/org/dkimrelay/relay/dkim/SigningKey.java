package org.dkimrelay.relay.dkim;

import java.security.GeneralSecurityException;
import java.security.Signature;
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
  private final Queue<Signature> idle = new ConcurrentLinkedQueue<>();

  public SigningKey(DkimKey key) throws GeneralSecurityException {
    this.key = key;
    idle.add(newSignature()); // fails now, at load time, if the key cannot sign
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

  private Signature newSignature() throws GeneralSecurityException {
    Signature signature = Signatures.forAlgorithm(key.algorithm());
    signature.initSign(key.privateKey());
    return signature;
  }

  @Override
  public String toString() {
    return key.domain() + "/" + key.selector() + " (" + key.describe() + ")";
  }
}
