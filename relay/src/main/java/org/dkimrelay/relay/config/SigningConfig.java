package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** {@code [signing]}: which keys sign, what is signed, and what becomes of mail that cannot be. */
public record SigningConfig(
    Path keys,
    boolean subdomains,
    List<String> headers,
    List<String> oversign,
    String canonicalization,
    UnknownDomain unknownDomain,
    OnMalformed onMalformed,
    boolean requirePublished,
    Optional<Interval> expire,
    int lineLengthLimit,
    List<Rule> rules,
    RuleMatch ruleMatch) {

  /** The fields signed by default (signing.headers). */
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

  /** The fields listed once more than present, so that none can be added (RFC 6376 §8.15). */
  public static final List<String> DEFAULT_OVERSIGN =
      List.of("From", "To", "Cc", "Subject", "Date", "Reply-To");

  /** RFC 5322 §2.1.1: at most 998 octets a line; Postfix breaks longer ones at this length. */
  public static final int DEFAULT_LINE_LENGTH_LIMIT = 998;

  private static final Pattern FIELD_NAME = Pattern.compile("[!-9;-~]+"); // RFC 5322 §3.6.8
  private static final Set<String> CANONICALIZATIONS = Set.of("simple", "relaxed"); // §3.4

  public SigningConfig {
    headers = List.copyOf(headers);
    oversign = List.copyOf(oversign);
    rules = List.copyOf(rules);
    validate(headers, oversign, canonicalization, expire, lineLengthLimit);
  }

  /** What the admin wrote, checked now: the loader names the file, line and section. */
  private static void validate(
      List<String> headers,
      List<String> oversign,
      String canonicalization,
      Optional<Interval> expire,
      int lineLengthLimit) {
    Set<String> signed = Set.copyOf(lowerCase(headers));
    if (!signed.contains("from")) {
      throw new IllegalArgumentException("headers must include From (RFC 6376 §5.4)");
    }
    for (String name : signed) {
      if (!FIELD_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("'" + name + "' is not a header field name");
      }
      if (name.equals("dkim-signature")) {
        throw new IllegalArgumentException("DKIM-Signature cannot be in headers");
      }
    }
    for (String name : lowerCase(oversign)) {
      if (!signed.contains(name)) {
        throw new IllegalArgumentException(
            "oversign lists '" + name + "', which is not in headers");
      }
    }
    String[] pair = canonicalization.trim().toLowerCase(Locale.ROOT).split("/", -1);
    if (pair.length > 2 || !CANONICALIZATIONS.containsAll(List.of(pair))) {
      throw new IllegalArgumentException(
          "canonicalization '"
              + canonicalization
              + "' is not one of relaxed/relaxed, relaxed/simple, simple/relaxed, simple/simple");
    }
    if (expire.isPresent()
        && (expire.get().duration().isNegative() || expire.get().duration().isZero())) {
      throw new IllegalArgumentException("expire must be positive");
    }
    if (lineLengthLimit != 0
        && (lineLengthLimit < 78 || lineLengthLimit > DEFAULT_LINE_LENGTH_LIMIT)) {
      throw new IllegalArgumentException(
          "line-length-limit must be 0 (no line broken) or 78 to 998 (RFC 5322 §2.1.1), as"
              + " Postfix's smtp_line_length_limit is set");
    }
  }

  private static List<String> lowerCase(List<String> names) {
    return names.stream().map(name -> name.trim().toLowerCase(Locale.ROOT)).toList();
  }

  /** The same settings signing with the keys in {@code directory}. */
  SigningConfig withKeys(Path directory) {
    return new SigningConfig(
        directory,
        subdomains,
        headers,
        oversign,
        canonicalization,
        unknownDomain,
        onMalformed,
        requirePublished,
        expire,
        lineLengthLimit,
        rules,
        ruleMatch);
  }

  /**
   * One {@code [[signing.rule]]}: From: addresses matching {@code from} (a pattern, {@code *} for
   * any characters) are signed by {@code keys} ({@code DOMAIN/SELECTOR}, {@code DOMAIN}, {@code
   * %/SELECTOR} or {@code %} for the From: domain), with {@code i} as the {@code i=} tag if given.
   */
  public record Rule(String from, List<String> keys, Optional<String> i) {
    private static final Pattern KEY = Pattern.compile("(%|[^/\\s]+)(/[^/\\s]+)?");

    public Rule {
      keys = List.copyOf(keys);
      if (from.isBlank() || from.chars().anyMatch(c -> c <= ' ')) {
        throw new IllegalArgumentException("rule from '" + from + "' is not an address pattern");
      }
      if (keys.isEmpty()) {
        throw new IllegalArgumentException("rule from '" + from + "' names no keys");
      }
      for (String key : keys) {
        if (!KEY.matcher(key).matches()) {
          throw new IllegalArgumentException(
              "rule from '"
                  + from
                  + "': '"
                  + key
                  + "' is not a key: write DOMAIN/SELECTOR, DOMAIN, %/SELECTOR or %");
        }
      }
      if (i.isPresent() && !i.get().contains("@")) {
        throw new IllegalArgumentException(
            "rule from '" + from + "': i '" + i.get() + "' is not [LOCAL]@DOMAIN (RFC 6376 §3.5)");
      }
    }
  }

  /** {@code signing.rule-match}: which of the rules that match a message sign it. */
  public enum RuleMatch {
    FIRST,
    ALL;

    @JsonCreator
    static RuleMatch parse(String text) {
      return Choice.parse(RuleMatch.class, text);
    }

    @JsonValue
    public String word() {
      return Choice.word(this);
    }
  }

  /** {@code signing.unknown-domain}: mail whose From domain has no key. */
  public enum UnknownDomain {
    PASS,
    REJECT;

    @JsonCreator
    static UnknownDomain parse(String text) {
      return Choice.parse(UnknownDomain.class, text);
    }

    @JsonValue
    public String word() {
      return Choice.word(this);
    }
  }

  /** {@code signing.on-malformed}: mail whose header block cannot be signed safely. */
  public enum OnMalformed {
    REJECT,
    PASS;

    @JsonCreator
    static OnMalformed parse(String text) {
      return Choice.parse(OnMalformed.class, text);
    }

    @JsonValue
    public String word() {
      return Choice.word(this);
    }
  }
}
