package org.dkimrelay.relay.milter;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;

/**
 * Whose mail the milter signs: clients in {@code internal} (OpenDKIM's InternalHosts), clients that
 * connected over a local socket, and, with {@code authenticated}, any client Postfix saw log in
 * with SMTP AUTH ({@code {auth_authen}}). Everything else is someone else's mail passing through
 * (the milter may sit on port 25 too) and is not signed.
 */
record MilterPolicy(List<Cidr> internal, boolean authenticated) {
  MilterPolicy {
    internal = List.copyOf(internal);
  }

  boolean signs(Optional<InetAddress> client, boolean localSocket, String login) {
    if (localSocket || (authenticated && !login.isEmpty())) {
      return true;
    }
    return client
        .filter(address -> internal.stream().anyMatch(c -> c.contains(address)))
        .isPresent();
  }
}
