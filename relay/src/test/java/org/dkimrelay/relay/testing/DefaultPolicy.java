package org.dkimrelay.relay.testing;

import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.SigningPolicy;
import org.dkimrelay.relay.service.Policies;

/** The signing policy of a default configuration, as {@code run} builds it. */
public final class DefaultPolicy {
  private DefaultPolicy() {}

  public static SigningPolicy signing() {
    return Policies.signing(RelayConfig.defaults().signing());
  }
}
