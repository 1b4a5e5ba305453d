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
    String keys,
    Boolean subdomains,
    List<String> headers,
    List<String> oversign,
    String canonicalization,
    UnknownDomain unknownDomain,
    OnMalformed onMalformed,
    Boolean requirePublished,
    Interval expire) {

  public SigningConfig {
    keys = keys != null ? keys : "conf/keys";
    subdomains = subdomains != null ? subdomains : true;
    headers = headers != null ? List.copyOf(headers) : SigningPolicy.DEFAULT_HEADERS;
    oversign = oversign != null ? List.copyOf(oversign) : SigningPolicy.DEFAULT_OVERSIGN;
    canonicalization = canonicalization != null ? canonicalization : "relaxed/relaxed";
    unknownDomain = unknownDomain != null ? unknownDomain : UnknownDomain.PASS;
    onMalformed = onMalformed != null ? onMalformed : OnMalformed.REJECT;
    requirePublished = requirePublished != null ? requirePublished : false;
    policy(headers, oversign, canonicalization, expire); // validates now, with the file's line
  }

  static SigningConfig defaults() {
    return new SigningConfig(null, null, null, null, null, null, null, null, null);
  }

  public Path keysDirectory() {
    return Path.of(keys);
  }

  /** The signing policy these settings describe. */
  public SigningPolicy policy() {
    return policy(headers, oversign, canonicalization, expire);
  }

  private static SigningPolicy policy(
      List<String> headers, List<String> oversign, String canonicalization, Interval expire) {
    return new SigningPolicy(
        headers,
        Set.copyOf(oversign),
        Canonicalization.Pair.parse(canonicalization),
        Optional.ofNullable(expire).map(Interval::duration));
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
