package org.dkimrelay.keys;

import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A DKIM key record as found in DNS (RFC 6376 §3.6.1), parsed leniently where the RFC says to
 * ignore unknown tags and strictly where a wrong value would make verification meaningless.
 *
 * @param algorithm {@code k=} (default rsa)
 * @param publicKey {@code p=} decoded; empty when the key is revoked ({@code p=} empty)
 * @param testing {@code t=y}: receivers must not treat failures differently from unsigned mail
 * @param tags every tag as found, for messages
 */
public record PublishedKeyRecord(
    KeyAlgorithm algorithm, Optional<byte[]> publicKey, boolean testing, Map<String, String> tags) {

  public PublishedKeyRecord {
    tags = Map.copyOf(tags);
  }

  /** RFC 6376 §3.6.1: the key is revoked when {@code p=} is empty. */
  public boolean revoked() {
    return publicKey.isEmpty();
  }

  /**
   * Parses a record value (the TXT strings already joined).
   *
   * @throws KeyToolException saying what is wrong with it
   */
  public static PublishedKeyRecord parse(String value) {
    Map<String, String> tags = TagList.parse(value);
    String version = tags.get("v");
    if (version != null && !version.equals("DKIM1")) {
      throw new KeyToolException("v=" + version + " is not v=DKIM1");
    }
    String keyType = tags.getOrDefault("k", "rsa").toLowerCase(Locale.ROOT);
    KeyAlgorithm algorithm;
    try {
      algorithm = KeyAlgorithm.parse(keyType);
    } catch (KeyToolException e) {
      throw new KeyToolException("k=" + keyType + " is not a key type DKIM signers use");
    }
    String hashes = tags.get("h");
    if (hashes != null && !hashes.toLowerCase(Locale.ROOT).matches("(.*:)?\\s*sha256\\s*(:.*)?")) {
      throw new KeyToolException("h=" + hashes + " does not allow sha256");
    }
    String p = tags.get("p");
    if (p == null) {
      throw new KeyToolException("the record has no p= tag");
    }
    Optional<byte[]> publicKey;
    try {
      String compact = p.replaceAll("\\s", "");
      publicKey =
          compact.isEmpty() ? Optional.empty() : Optional.of(Base64.getDecoder().decode(compact));
    } catch (IllegalArgumentException e) {
      throw new KeyToolException("p= is not valid base64");
    }
    String flags = tags.getOrDefault("t", "");
    boolean testing =
        Arrays.stream(flags.split(":")).map(String::trim).anyMatch("y"::equalsIgnoreCase);
    return new PublishedKeyRecord(algorithm, publicKey, testing, tags);
  }
}
