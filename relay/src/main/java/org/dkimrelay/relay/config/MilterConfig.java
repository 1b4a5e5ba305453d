package org.dkimrelay.relay.config;

import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;

/**
 * {@code [milter]}: the milter front-end (Postfix {@code smtpd_milters}), off unless {@code
 * address} is set. Mail is signed when the client is {@code internal} or, with {@code
 * authenticated}, logged in with SMTP AUTH (as OpenDKIM's InternalHosts and its treatment of
 * authenticated senders); other mail passes unsigned. A unix socket gets {@code socket-mode} and,
 * if set, {@code socket-group}, so Postfix's chrooted smtpd can connect.
 */
public record MilterConfig(
    Optional<MilterAddress> address,
    List<Cidr> internal,
    boolean authenticated,
    String socketMode,
    Optional<String> socketGroup,
    int maxSessions) {
  public MilterConfig {
    internal = List.copyOf(internal);
    if (!socketMode.matches("0?[0-7]{3}")) {
      throw new IllegalArgumentException(
          "socket-mode '" + socketMode + "' is not an octal mode such as \"0660\"");
    }
    if (maxSessions < 1) {
      throw new IllegalArgumentException("max-sessions must be at least 1");
    }
  }
}
