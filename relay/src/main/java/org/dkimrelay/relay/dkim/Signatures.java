package org.dkimrelay.relay.dkim;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.GeneralSecurityException;
import java.security.NoSuchProviderException;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.util.Locale;
import java.util.Optional;
import org.dkimrelay.keys.KeyAlgorithm;

/**
 * Where the relay's signatures come from. The signature is most of the CPU a message costs, so both
 * algorithms come from AWS-LC through the Amazon Corretto Crypto Provider (ACCP) where its native
 * library loads (Linux x86_64): RSA-2048 at about 3.5 times the JDK's rate, Ed25519 at about 3
 * times Bouncy Castle's (scripts/bench-sign). Elsewhere, or with {@code
 * -Ddkimrelay.crypto-provider=jdk}, the JDK's SunRsaSign signs RSA and Bouncy Castle Ed25519. RSA
 * PKCS#1 v1.5 (RFC 8017 §8.2) and Ed25519 (RFC 8032 §5.1.6) are deterministic, so both give the
 * same bytes for the same key and data (SignaturesTest).
 */
public final class Signatures {
  /** The system property that chooses: {@code auto} (the default), {@code accp} or {@code jdk}. */
  public static final String PROPERTY = "dkimrelay.crypto-provider";

  private static final Signatures JDK =
      new Signatures(
          "jdk",
          "the JDK (SunRsaSign) for RSA, Bouncy Castle for Ed25519",
          Security.getProvider("SunRsaSign"),
          Ed25519Sha256Signature.provider(Optional.empty()));

  private static volatile Signatures selected;

  private final String label;
  private final String description;
  private final Provider rsa;
  private final Provider ed25519;

  Signatures(String label, String description, Provider rsa, Provider ed25519) {
    this.label = label;
    this.description = description;
    this.rsa = rsa;
    this.ed25519 = ed25519;
  }

  /** The JDK's RSA and Bouncy Castle's Ed25519: pure Java, on every platform. */
  public static Signatures jdk() {
    return JDK;
  }

  /** AWS-LC through ACCP, or why it cannot sign here (its native library did not load). */
  public static Signatures accp() throws NoSuchProviderException {
    return Accp.SIGNATURES.orElseThrow(
        () -> new NoSuchProviderException(Accp.whyNot() + "; use -D" + PROPERTY + "=jdk or auto"));
  }

  /**
   * The signatures chosen by {@code -Ddkimrelay.crypto-provider}: ACCP where it loads and the JDK
   * otherwise ({@code auto}), or exactly the one named.
   *
   * @throws NoSuchProviderException naming the fix, for an unknown value or an ACCP that cannot
   *     load
   */
  public static Signatures selected() throws NoSuchProviderException {
    Signatures choice = selected;
    if (choice == null) {
      choice = choose(System.getProperty(PROPERTY, "auto"));
      selected = choice;
    }
    return choice;
  }

  static Signatures choose(String value) throws NoSuchProviderException {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "auto":
        return Accp.SIGNATURES.orElseGet(
            () ->
                new Signatures(
                    JDK.label, JDK.description + " (" + Accp.whyNot() + ")", JDK.rsa, JDK.ed25519));
      case "accp":
        return accp();
      case "jdk":
        return JDK;
      default:
        throw new NoSuchProviderException(
            "-D" + PROPERTY + "=" + value + " is not one of auto, accp, jdk");
    }
  }

  /** A new, uninitialised signature object for {@code algorithm}. */
  public Signature forAlgorithm(KeyAlgorithm algorithm) throws GeneralSecurityException {
    return algorithm == KeyAlgorithm.ED25519
        ? Signature.getInstance(Ed25519Sha256Signature.ALGORITHM, ed25519)
        : Signature.getInstance("SHA256withRSA", rsa);
  }

  /** The provider of {@code SHA256withRSA}. */
  Provider rsaProvider() {
    return rsa;
  }

  /** Short and stable, for a metric label: {@code accp} or {@code jdk}. */
  public String label() {
    return label;
  }

  /** Which library signs, for the start-up line and benchmarks. */
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return label;
  }

  /** ACCP, loaded on first use only: its class is not touched when the JDK is asked for. */
  private static final class Accp {
    private static final Throwable LOADING_ERROR = loadingError();
    private static final Optional<Signatures> SIGNATURES =
        LOADING_ERROR == null ? Optional.of(signatures()) : Optional.empty();

    /**
     * Why ACCP does not sign here, in one line. ACCP copies its library under {@code
     * java.io.tmpdir} and loads it from there, which a {@code noexec} mount refuses.
     */
    static String whyNot() {
      String reason = String.valueOf(LOADING_ERROR.getMessage());
      if (LOADING_ERROR instanceof UnsatisfiedLinkError) { // "PATH: PATH: reason"
        reason = reason.substring(reason.lastIndexOf(": ") + 1).trim();
      }
      String why = "AWS-LC (Amazon Corretto Crypto Provider) cannot load here: " + reason;
      return reason.contains("failed to map segment")
          ? why
              + " (is java.io.tmpdir mounted noexec? give it an executable directory with"
              + " -Dcom.amazon.corretto.crypto.provider.tmpdir=DIR)"
          : why;
    }

    private static Throwable loadingError() {
      try {
        return AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError();
      } catch (LinkageError | RuntimeException e) {
        return e; // no jar, or a platform without its native library
      }
    }

    private static Signatures signatures() {
      Provider accp = AmazonCorrettoCryptoProvider.INSTANCE;
      return new Signatures(
          "accp",
          "AWS-LC (Amazon Corretto Crypto Provider " + accp.getVersionStr() + ")",
          accp,
          Ed25519Sha256Signature.provider(Optional.of(accp)));
    }
  }
}
