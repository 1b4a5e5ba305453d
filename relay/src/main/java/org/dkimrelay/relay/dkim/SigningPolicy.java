package org.dkimrelay.relay.dkim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a signature covers and how: the header fields to sign, those to oversign (list once more
 * than present, so none can be added later, RFC 6376 §8.15), canonicalisation, an optional expiry
 * ({@code x=}), and the longest body line the next MTA sends unbroken ({@code lineLengthLimit},
 * Postfix's smtp_line_length_limit; 0 when none is broken): the body is signed as it will be
 * delivered. Never {@code l=} (§8.2), never rsa-sha1 (RFC 8301).
 */
public record SigningPolicy(
    List<String> headers,
    Set<String> oversign,
    Canonicalization.Pair canonicalization,
    Optional<Duration> expire,
    int lineLengthLimit) {

  /** RFC 5322 §2.1.1: at most 998 octets a line; Postfix breaks longer ones at this length. */
  public static final int DEFAULT_LINE_LENGTH_LIMIT = 998;

  private static final Pattern FIELD_NAME = Pattern.compile("[!-9;-~]+"); // RFC 5322 §3.6.8

  /** The fields signed by default (README "Configuration", signing.headers). */
  public static final List<String> DEFAULT_HEADERS =
      List.of(
          "From",
          "To",
          "Cc",
          "Subject",
          "Date",
          "Message-ID",
          "Reply-To",
          "In-Reply-To",
          "References",
          "MIME-Version",
          "Content-Type",
          "Content-Transfer-Encoding",
          "List-Id",
          "List-Unsubscribe",
          "List-Unsubscribe-Post");

  public static final List<String> DEFAULT_OVERSIGN =
      List.of("From", "To", "Cc", "Subject", "Date", "Reply-To");

  public SigningPolicy {
    headers = List.copyOf(new LinkedHashSet<>(lowerCase(headers)));
    oversign = Set.copyOf(lowerCase(List.copyOf(oversign)));
    if (!headers.contains("from")) {
      throw new IllegalArgumentException("headers must include From (RFC 6376 §5.4)");
    }
    for (String name : headers) {
      if (!FIELD_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("'" + name + "' is not a header field name");
      }
      if (name.equals("dkim-signature")) {
        throw new IllegalArgumentException("DKIM-Signature cannot be in headers");
      }
    }
    for (String name : oversign) {
      if (!headers.contains(name)) {
        throw new IllegalArgumentException(
            "oversign lists '" + name + "', which is not in headers");
      }
    }
    if (expire.isPresent() && (expire.get().isNegative() || expire.get().isZero())) {
      throw new IllegalArgumentException("expire must be positive");
    }
    if (lineLengthLimit != 0
        && (lineLengthLimit < 78 || lineLengthLimit > DEFAULT_LINE_LENGTH_LIMIT)) {
      throw new IllegalArgumentException(
          "line-length-limit must be 0 (no line broken) or 78 to 998 (RFC 5322 §2.1.1), as"
              + " Postfix's smtp_line_length_limit is set");
    }
  }

  public static SigningPolicy defaults() {
    return new SigningPolicy(
        DEFAULT_HEADERS,
        Set.copyOf(DEFAULT_OVERSIGN),
        new Canonicalization.Pair(Canonicalization.RELAXED, Canonicalization.RELAXED),
        Optional.empty(),
        DEFAULT_LINE_LENGTH_LIMIT);
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
