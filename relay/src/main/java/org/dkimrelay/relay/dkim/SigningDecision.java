package org.dkimrelay.relay.dkim;

import java.util.List;
import org.dkimrelay.keys.SigningDomain;

/** What the signing table decided for one message. */
public sealed interface SigningDecision {

  /**
   * Sign with {@code keys}, all of domain {@code signingDomain} ({@code d=}), for the From: address
   * {@code author}.
   */
  record Sign(
      SigningDomain fromDomain, SigningDomain signingDomain, List<SigningKey> keys, String author)
      implements SigningDecision {
    public Sign {
      keys = List.copyOf(keys);
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
