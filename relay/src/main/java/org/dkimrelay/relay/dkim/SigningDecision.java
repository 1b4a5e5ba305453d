package org.dkimrelay.relay.dkim;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dkimrelay.keys.SigningDomain;

/** What the signing table decided for one message. */
public sealed interface SigningDecision {

  /**
   * Sign with {@code keys}, each with its own domain as {@code d=}, for the From: address {@code
   * author}; {@code rule} is the {@code [[signing.rule]]} that chose them (empty: the keys
   * directory did), {@code identities} the {@code i=} of the keys that get one.
   */
  record Sign(
      SigningDomain fromDomain,
      List<SigningKey> keys,
      String author,
      Optional<String> rule,
      Map<SigningKey, String> identities)
      implements SigningDecision {
    public Sign {
      keys = List.copyOf(keys);
      identities = Map.copyOf(identities);
    }

    /** Signed by the keys directory: the keys of the From domain or of its nearest parent. */
    Sign(SigningDomain fromDomain, List<SigningKey> keys, String author) {
      this(fromDomain, keys, author, Optional.empty(), Map.of());
    }

    /** The {@code d=} of the first signature (all of them but with several rules). */
    public SigningDomain signingDomain() {
      return keys.get(0).key().domain();
    }

    /** Every {@code d=}, once each, in signing order. */
    public List<SigningDomain> signingDomains() {
      return keys.stream().map(key -> key.key().domain()).distinct().toList();
    }
  }

  /**
   * No key for the From domain (nor a parent, when subdomains are signed); {@code held} when it has
   * keys but none may sign until its DNS record is published ({@code signing.require-published}).
   */
  record NoKey(String fromDomain, boolean held) implements SigningDecision {
    /** Why nothing signs, for the log and {@code sign --explain}. */
    public String reason() {
      return held
          ? "the key of "
              + fromDomain
              + " is held until DNS shows its record (signing.require-published)"
          : "no key for From domain " + fromDomain;
    }
  }

  /** The header block cannot be signed safely. */
  record Malformed(String reason) implements SigningDecision {}
}
