package org.dkimrelay.relay.dkim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a signature covers and how: the header fields to sign, those to oversign (list once more
 * than present, so none can be added later, RFC 6376 §8.15), canonicalisation, an optional expiry
 * ({@code x=}), and the longest body line the next MTA sends unbroken ({@code lineLengthLimit},
 * Postfix's smtp_line_length_limit; 0 when none is broken): the body is signed as it will be
 * delivered. Never {@code l=} (§8.2), never rsa-sha1 (RFC 8301). The settings an admin writes are
 * checked where they are read ({@code [signing]} in the configuration).
 */
public record SigningPolicy(
    List<String> headers,
    Set<String> oversign,
    Canonicalization.Pair canonicalization,
    Optional<Duration> expire,
    int lineLengthLimit) {

  public SigningPolicy {
    headers = List.copyOf(new LinkedHashSet<>(lowerCase(headers)));
    oversign = Set.copyOf(lowerCase(List.copyOf(oversign)));
    if (!headers.contains("from")) {
      throw new IllegalArgumentException("a signature must cover From (RFC 6376 §5.4)");
    }
    if (lineLengthLimit < 0) {
      throw new IllegalArgumentException("lineLengthLimit must be 0 or more");
    }
  }

  /**
   * The {@code h=} list for a message: each configured name once per field present, plus once more
   * when oversigned. Names absent from the message are left out unless oversigned.
   */
  public List<String> signedHeaderNames(HeaderBlock block) {
    List<String> names = new ArrayList<>();
    for (String name : headers) {
      int count = block.count(name) + (oversign.contains(name) ? 1 : 0);
      for (int i = 0; i < count; i++) {
        names.add(name);
      }
    }
    return names;
  }

  private static List<String> lowerCase(List<String> names) {
    return names.stream().map(name -> name.trim().toLowerCase(Locale.ROOT)).toList();
  }
}
