package org.dkimrelay.relay.dkim;

import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Signatures that work until {@link #breakDown()}: a key loads (its probe signature verifies) and
 * fails later, the only way to reach the "signing failed" reply now that a key that cannot sign
 * stops start-up. RSA only, through the JDK's provider.
 */
public final class FailingSignatures {
  private final AtomicBoolean broken = new AtomicBoolean();
  private final Signatures signatures =
      new Signatures(
          "failing",
          "the JDK, until broken",
          new FailingProvider(broken),
          Ed25519Sha256Signature.provider(Optional.empty()));

  public Signatures signatures() {
    return signatures;
  }

  /** From now on every RSA signature fails. */
  public void breakDown() {
    broken.set(true);
  }

  private static final class FailingProvider extends Provider {
    private static final long serialVersionUID = 1L;

    FailingProvider(AtomicBoolean broken) {
      super("failing", "1.0", "SHA256withRSA that fails on demand");
      putService(
          new Service(this, "Signature", "SHA256withRSA", FailingRsa.class.getName(), null, null) {
            @Override
            public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
              return new FailingRsa(broken);
            }
          });
    }
  }

  private static final class FailingRsa extends SignatureSpi {
    private final AtomicBoolean broken;
    private final Signature jdk;

    FailingRsa(AtomicBoolean broken) throws NoSuchAlgorithmException {
      this.broken = broken;
      this.jdk = Signature.getInstance("SHA256withRSA", Signatures.jdk().rsaProvider());
    }

    @Override
    protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
      jdk.initSign(key);
    }

    @Override
    protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
      jdk.initVerify(key);
    }

    @Override
    protected void engineUpdate(byte b) throws SignatureException {
      jdk.update(b);
    }

    @Override
    protected void engineUpdate(byte[] bytes, int offset, int length) throws SignatureException {
      jdk.update(bytes, offset, length);
    }

    @Override
    protected byte[] engineSign() throws SignatureException {
      if (broken.get()) {
        throw new SignatureException("broken on purpose");
      }
      return jdk.sign();
    }

    @Override
    protected boolean engineVerify(byte[] signature) throws SignatureException {
      return jdk.verify(signature);
    }

    @Override
    @Deprecated
    protected void engineSetParameter(String param, Object value) {
      throw new UnsupportedOperationException();
    }

    @Override
    @Deprecated
    protected Object engineGetParameter(String param) {
      throw new UnsupportedOperationException();
    }
  }
}
