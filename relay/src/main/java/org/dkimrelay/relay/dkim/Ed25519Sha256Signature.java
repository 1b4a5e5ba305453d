package org.dkimrelay.relay.dkim;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.dkimrelay.keys.PemKeys;

/**
 * RFC 8463 §3: ed25519-sha256 signs the SHA-256 digest of the canonicalised header data with
 * PureEdDSA Ed25519. As a JCA signature ({@code SHA256withEd25519}) it is used exactly like {@code
 * SHA256withRSA}. The Ed25519 part is a JCA provider's {@code Ed25519} where one is given (AWS-LC,
 * see {@link Signatures}), otherwise Bouncy Castle's: about 20 times the JDK's speed here.
 */
public final class Ed25519Sha256Signature extends SignatureSpi {
  /** The algorithm name under {@link #provider}. */
  public static final String ALGORITHM = "SHA256withEd25519";

  private static final int PUBLIC_KEY_LENGTH = 32;

  private final MessageDigest digest;
  private final PureEd25519 ed25519;

  private Ed25519Sha256Signature(PureEd25519 ed25519) {
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    this.ed25519 = ed25519;
  }

  /**
   * A provider with just this algorithm, passed explicitly and never installed globally; its
   * Ed25519 comes from {@code pureEd25519}'s {@code Ed25519}, or from Bouncy Castle when empty.
   */
  static Provider provider(Optional<Provider> pureEd25519) {
    return new DkimProvider(pureEd25519);
  }

  @Override
  protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
    ed25519.initSign(key);
    digest.reset();
  }

  @Override
  protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
    if (!"Ed25519".equalsIgnoreCase(key.getAlgorithm())
        && !"EdDSA".equalsIgnoreCase(key.getAlgorithm())) {
      throw new InvalidKeyException("not an Ed25519 public key: " + key.getAlgorithm());
    }
    ed25519.initVerify(key);
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
    return ed25519.sign(digest.digest());
  }

  @Override
  protected boolean engineVerify(byte[] signature) throws SignatureException {
    return ed25519.verify(digest.digest(), signature);
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

  /** PureEdDSA Ed25519 (RFC 8032 §5.1.6) over the 32-byte digest. */
  private interface PureEd25519 {
    void initSign(PrivateKey key) throws InvalidKeyException;

    void initVerify(PublicKey key) throws InvalidKeyException;

    byte[] sign(byte[] message) throws SignatureException;

    boolean verify(byte[] message, byte[] signature) throws SignatureException;
  }

  /** A JCA provider's {@code Ed25519}. */
  private static final class JcaEd25519 implements PureEd25519 {
    private final Signature signature;

    JcaEd25519(Provider provider) {
      try {
        signature = Signature.getInstance("Ed25519", provider);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(provider.getName() + " has no Ed25519", e);
      }
    }

    @Override
    public void initSign(PrivateKey key) throws InvalidKeyException {
      signature.initSign(key);
    }

    @Override
    public void initVerify(PublicKey key) throws InvalidKeyException {
      signature.initVerify(key);
    }

    @Override
    public byte[] sign(byte[] message) throws SignatureException {
      signature.update(message);
      return signature.sign();
    }

    @Override
    public boolean verify(byte[] message, byte[] sig) throws SignatureException {
      signature.update(message);
      return signature.verify(sig);
    }
  }

  /**
   * Bouncy Castle's lightweight Ed25519: twice its own JCA provider's rate here, since the key
   * parameters (with the public key derived once) are kept between signatures.
   */
  private static final class BouncyCastleEd25519 implements PureEd25519 {
    private Ed25519PrivateKeyParameters privateKey;
    private Ed25519PublicKeyParameters publicKey;

    @Override
    public void initSign(PrivateKey key) throws InvalidKeyException {
      try {
        privateKey = new Ed25519PrivateKeyParameters(PemKeys.ed25519Seed(key), 0);
      } catch (IllegalArgumentException e) {
        throw new InvalidKeyException(e.getMessage(), e);
      }
    }

    @Override
    public void initVerify(PublicKey key) {
      byte[] encoded = key.getEncoded();
      publicKey =
          new Ed25519PublicKeyParameters(
              Arrays.copyOfRange(encoded, encoded.length - PUBLIC_KEY_LENGTH, encoded.length), 0);
    }

    @Override
    public byte[] sign(byte[] message) throws SignatureException {
      if (privateKey == null) {
        throw new SignatureException("not initialised for signing");
      }
      Ed25519Signer signer = new Ed25519Signer();
      signer.init(true, privateKey);
      signer.update(message, 0, message.length);
      return signer.generateSignature();
    }

    @Override
    public boolean verify(byte[] message, byte[] signature) throws SignatureException {
      if (publicKey == null) {
        throw new SignatureException("not initialised for verifying");
      }
      Ed25519Signer verifier = new Ed25519Signer();
      verifier.init(false, publicKey);
      verifier.update(message, 0, message.length);
      return verifier.verifySignature(signature);
    }
  }

  private static final class DkimProvider extends Provider {
    private static final long serialVersionUID = 1L;

    DkimProvider(Optional<Provider> pureEd25519) {
      super("dkimrelay", "1.0", "ed25519-sha256 for DKIM (RFC 8463)");
      putService(
          new Service(
              this, "Signature", ALGORITHM, Ed25519Sha256Signature.class.getName(), null, null) {
            @Override
            public Object newInstance(Object parameter) {
              return new Ed25519Sha256Signature(
                  pureEd25519
                      .<PureEd25519>map(JcaEd25519::new)
                      .orElseGet(BouncyCastleEd25519::new));
            }
          });
    }
  }
}
