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

  /** No key for the From domain (nor a parent, when subdomains are signed). */
  record NoKey(String fromDomain) implements SigningDecision {}

  /** The header block cannot be signed safely. */
  record Malformed(String reason) implements SigningDecision {}
}
