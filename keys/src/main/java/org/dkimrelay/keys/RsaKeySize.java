package org.dkimrelay.keys;

import java.util.Optional;

/** What RSA key sizes we accept, and why (RFC 8301 §3.2). */
public final class RsaKeySize {
  public static final int DEFAULT_BITS = 2048;

  /** RFC 8301 §3.2: signers MUST use at least 1024 bits; verifiers may refuse less. */
  public static final int MINIMUM_BITS = 1024;

  private RsaKeySize() {}

  /**
   * Checks a size for a new or imported key. Under 1024 bits is always refused; 1024 up to 2047 is
   * refused unless {@code allowWeak}, and then comes back as a warning to show the user.
   */
  public static Optional<String> check(int bits, boolean allowWeak) {
    if (bits < MINIMUM_BITS) {
      throw new KeyToolException(
          "RSA keys under 1024 bits are refused (RFC 8301): use 2048 or more");
    }
    if (bits < DEFAULT_BITS) {
      if (!allowWeak) {
        throw new KeyToolException(
            "a "
                + bits
                + "-bit RSA key is weak: use 2048 or more, or add --allow-weak to accept it");
      }
      return Optional.of(
          "warning: a "
              + bits
              + "-bit RSA key is weak; some receivers treat it as unsigned. Use 2048 bits or more.");
    }
    return Optional.empty();
  }

  /** Checks a size for generating: 2048, 3072 or 4096 (or 1024 when {@code allowWeak}). */
  public static Optional<String> checkForGeneration(int bits, boolean allowWeak) {
    if (bits != 1024 && bits != 2048 && bits != 3072 && bits != 4096) {
      throw new KeyToolException(
          "unsupported RSA key size " + bits + ": use 2048 (default), 3072 or 4096");
    }
    return check(bits, allowWeak);
  }
}
