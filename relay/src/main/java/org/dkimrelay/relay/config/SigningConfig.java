package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.dkimrelay.relay.dkim.Canonicalization;
import org.dkimrelay.relay.dkim.SigningPolicy;

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
    int lineLengthLimit) {

  public SigningConfig {
    headers = List.copyOf(headers);
    oversign = List.copyOf(oversign);
    // validates now, naming the section
    policy(headers, oversign, canonicalization, expire, lineLengthLimit);
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
        lineLengthLimit);
  }

  /** The signing policy these settings describe. */
  public SigningPolicy policy() {
    return policy(headers, oversign, canonicalization, expire, lineLengthLimit);
  }

  private static SigningPolicy policy(
      List<String> headers,
      List<String> oversign,
      String canonicalization,
      Optional<Interval> expire,
      int lineLengthLimit) {
    return new SigningPolicy(
        headers,
        Set.copyOf(oversign),
        Canonicalization.Pair.parse(canonicalization),
        expire.map(Interval::duration),
        lineLengthLimit);
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
