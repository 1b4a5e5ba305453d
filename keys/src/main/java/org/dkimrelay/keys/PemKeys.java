package org.dkimrelay.keys;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Reads private keys in every form users have and writes the one form we store (PKCS#8 PEM).
 *
 * <p>Read: PKCS#8 {@code PRIVATE KEY} (RSA, Ed25519), PKCS#1 {@code RSA PRIVATE KEY} (from
 * opendkim-genkey), both encrypted forms given a passphrase, and the bare base64 Ed25519 seed that
 * dkimpy and rspamd write. The public key is always derived from the private key, so a file never
 * has to be trusted to hold a matching pair.
 */
public final class PemKeys {
  private static final int ED25519_SEED_LENGTH = 32;
  // DER header of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4); the raw key follows.
  private static final byte[] ED25519_SPKI_HEADER =
      HexFormat.of().parseHex("302a300506032b6570032100");
  private static final BouncyCastleProvider BC = new BouncyCastleProvider();

  private PemKeys() {}

  /** PKCS#8 PEM, 64 base64 characters a line, as OpenSSL writes it. */
  public static String toPkcs8Pem(PrivateKey key) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded());
    return "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
  }

  /**
   * Reads a private key. {@code passphrase} may be null; it is needed only for encrypted PEM.
   *
   * @throws KeyToolException when the text is no key we can use, saying why
   */
  public static KeyMaterial read(String text, char[] passphrase) {
    if (!text.contains("-----BEGIN")) {
      return fromEd25519Seed(decodeRawSeed(text));
    }
    Object parsed;
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      parsed = parser.readObject();
    } catch (IOException e) {
      throw new KeyToolException("not a readable PEM key: " + e.getMessage(), e);
    }
    try {
      return fromPrivateKeyInfo(privateKeyInfo(parsed, passphrase));
    } catch (PKCSException | PEMException e) {
      throw new KeyToolException("cannot decrypt the key: wrong passphrase?", e);
    } catch (OperatorCreationException | IOException e) {
      throw new KeyToolException("cannot read the key: " + e.getMessage(), e);
    }
  }

  /** The 32-byte seed of an Ed25519 private key (RFC 8032 §5.1.5), which is what signs. */
  public static byte[] ed25519Seed(PrivateKey key) {
    if (key instanceof EdECPrivateKey edec && edec.getBytes().isPresent()) {
      return edec.getBytes().get();
    }
    throw new IllegalArgumentException("not an Ed25519 private key: " + key.getAlgorithm());
  }

  private static PrivateKeyInfo privateKeyInfo(Object parsed, char[] passphrase)
      throws IOException, OperatorCreationException, PKCSException {
    if (parsed == null) {
      throw new KeyToolException("no PEM block found in the key file");
    }
    if (parsed instanceof PrivateKeyInfo plain) {
      return plain;
    }
    if (parsed instanceof PEMKeyPair pkcs1) {
      return pkcs1.getPrivateKeyInfo();
    }
    if (parsed instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
      return encrypted.decryptPrivateKeyInfo(
          new JceOpenSSLPKCS8DecryptorProviderBuilder()
              .setProvider(BC)
              .build(requirePassphrase(passphrase)));
    }
    if (parsed instanceof PEMEncryptedKeyPair encrypted) {
      return encrypted
          .decryptKeyPair(
              new JcePEMDecryptorProviderBuilder()
                  .setProvider(BC)
                  .build(requirePassphrase(passphrase)))
          .getPrivateKeyInfo();
    }
    throw new KeyToolException(
        "the PEM block is a "
            + parsed.getClass().getSimpleName()
            + ", not a private key: give the private key file");
  }

  private static char[] requirePassphrase(char[] passphrase) {
    if (passphrase == null) {
      throw new KeyToolException(
          "the key is encrypted: give its passphrase with --passphrase-file FILE");
    }
    return passphrase;
  }

  private static KeyMaterial fromPrivateKeyInfo(PrivateKeyInfo info) throws IOException {
    ASN1ObjectIdentifier oid = info.getPrivateKeyAlgorithm().getAlgorithm();
    if (PKCSObjectIdentifiers.rsaEncryption.equals(oid)) {
      return rsa(info.getEncoded());
    }
    if (EdECObjectIdentifiers.id_Ed25519.equals(oid)) {
      return fromEd25519Seed(ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets());
    }
    throw new KeyToolException(
        "unsupported key type (OID " + oid + "): DKIM keys are RSA or Ed25519");
  }

  private static KeyMaterial rsa(byte[] pkcs8) {
    try {
      KeyFactory factory = KeyFactory.getInstance("RSA");
      PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      if (!(privateKey instanceof RSAPrivateCrtKey crt)) {
        throw new KeyToolException("the RSA key has no public exponent (not in CRT form)");
      }
      PublicKey publicKey =
          factory.generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
      return new KeyMaterial(KeyAlgorithm.RSA, privateKey, publicKey);
    } catch (GeneralSecurityException e) {
      throw new KeyToolException("the RSA key is damaged: " + e.getMessage(), e);
    }
  }

  /**
   * The SubjectPublicKeyInfo of a raw 32-byte Ed25519 public key (the DNS {@code p=} of RFC 8463
   * §4.2): Java's encoding is this fixed 12-byte header followed by the raw key.
   */
  public static byte[] ed25519Spki(byte[] raw) {
    byte[] spki = Arrays.copyOf(ED25519_SPKI_HEADER, ED25519_SPKI_HEADER.length + raw.length);
    System.arraycopy(raw, 0, spki, ED25519_SPKI_HEADER.length, raw.length);
    return spki;
  }

  /** The raw 32-byte Ed25519 key inside its SubjectPublicKeyInfo (see {@link #ed25519Spki}). */
  public static byte[] ed25519Raw(byte[] spki) {
    return Arrays.copyOfRange(spki, ED25519_SPKI_HEADER.length, spki.length);
  }

  /**
   * Builds both halves from a raw seed; Bouncy Castle derives the public key, which the JDK cannot.
   */
  public static KeyMaterial fromEd25519Seed(byte[] seed) {
    if (seed.length != ED25519_SEED_LENGTH) {
      throw new KeyToolException("an Ed25519 private key is 32 bytes, this one is " + seed.length);
    }
    try {
      KeyFactory factory = KeyFactory.getInstance("Ed25519");
      PrivateKey privateKey =
          factory.generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
      byte[] raw = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
      PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(ed25519Spki(raw)));
      return new KeyMaterial(KeyAlgorithm.ED25519, privateKey, publicKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot load Ed25519 keys", e);
    }
  }

  /**
   * dkimpy writes base64 of the 32-byte seed; rspamd may write base64 of seed followed by the
   * 32-byte public key. In the second form the public half must match the seed.
   */
  private static byte[] decodeRawSeed(String text) {
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(text.replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new KeyToolException("not a key: expected a PEM file or a base64 Ed25519 private key");
    }
    if (decoded.length == 2 * ED25519_SEED_LENGTH) {
      byte[] seed = Arrays.copyOf(decoded, ED25519_SEED_LENGTH);
      byte[] derived = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
      if (!Arrays.equals(
          derived, Arrays.copyOfRange(decoded, ED25519_SEED_LENGTH, decoded.length))) {
        throw new KeyToolException(
            "the 64-byte Ed25519 key's second half is not the public key of its first half");
      }
      return seed;
    }
    if (decoded.length != ED25519_SEED_LENGTH) {
      throw new KeyToolException(
          "not a key: expected a PEM file or a base64 Ed25519 private key (32 bytes), got "
              + decoded.length
              + " bytes");
    }
    return decoded;
  }
}
