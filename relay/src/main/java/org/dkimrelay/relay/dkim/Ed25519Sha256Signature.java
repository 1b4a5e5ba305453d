package org.dkimrelay.relay.dkim;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.dkimrelay.keys.PemKeys;

/**
 * RFC 8463 §3: ed25519-sha256 signs the SHA-256 digest of the canonicalised header data with
 * PureEdDSA Ed25519. As a JCA signature ({@code SHA256withEd25519}) it is used exactly like {@code
 * SHA256withRSA}. Bouncy Castle does the Ed25519 part: about 20 times the JDK's speed here.
 */
public final class Ed25519Sha256Signature extends SignatureSpi {
  /** The algorithm name under {@link #PROVIDER}. */
  public static final String ALGORITHM = "SHA256withEd25519";

  /** A provider with just this algorithm; passed explicitly, never installed globally. */
  public static final Provider PROVIDER = new DkimProvider();

  private static final int PUBLIC_KEY_LENGTH = 32;

  private final MessageDigest digest;
  private Ed25519PrivateKeyParameters privateKey;
  private Ed25519PublicKeyParameters publicKey;

  public Ed25519Sha256Signature() {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
    try {
      privateKey = new Ed25519PrivateKeyParameters(PemKeys.ed25519Seed(key), 0);
    } catch (IllegalArgumentException e) {
      throw new InvalidKeyException(e.getMessage(), e);
    }
    digest.reset();
  }

  @Override
  protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
    byte[] encoded = key.getEncoded();
    if (!"Ed25519".equalsIgnoreCase(key.getAlgorithm())
        && !"EdDSA".equalsIgnoreCase(key.getAlgorithm())) {
      throw new InvalidKeyException("not an Ed25519 public key: " + key.getAlgorithm());
    }
    byte[] raw = Arrays.copyOfRange(encoded, encoded.length - PUBLIC_KEY_LENGTH, encoded.length);
    publicKey = new Ed25519PublicKeyParameters(raw, 0);
    digest.reset();
  }

  @Override
  protected void engineUpdate(byte b) {
    digest.update(b);
  }

  @Override
  protected void engineUpdate(byte[] bytes, int offset, int length) {
    digest.update(bytes, offset, length);
  }

  @Override
  protected byte[] engineSign() throws SignatureException {
    if (privateKey == null) {
      throw new SignatureException("not initialised for signing");
    }
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, privateKey);
    byte[] hash = digest.digest();
    signer.update(hash, 0, hash.length);
    return signer.generateSignature();
  }

  @Override
  protected boolean engineVerify(byte[] signature) throws SignatureException {
    if (publicKey == null) {
      throw new SignatureException("not initialised for verifying");
    }
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, publicKey);
    byte[] hash = digest.digest();
    verifier.update(hash, 0, hash.length);
    return verifier.verifySignature(signature);
  }

  @Override
  @Deprecated
  protected void engineSetParameter(String param, Object value) {
    throw new UnsupportedOperationException("no parameters");
  }

  @Override
  @Deprecated
  protected Object engineGetParameter(String param) {
    throw new UnsupportedOperationException("no parameters");
  }

  private static final class DkimProvider extends Provider {
    private static final long serialVersionUID = 1L;

    DkimProvider() {
      super("dkimrelay", "1.0", "ed25519-sha256 for DKIM (RFC 8463)");
      putService(
          new Service(
              this, "Signature", ALGORITHM, Ed25519Sha256Signature.class.getName(), null, null));
    }
  }
}
