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
    MilterAddress address,
    List<Cidr> internal,
    Boolean authenticated,
    String socketMode,
    String socketGroup,
    Integer maxSessions) {
  public MilterConfig {
    internal =
        internal != null
            ? List.copyOf(internal)
            : List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
    authenticated = authenticated != null ? authenticated : true;
    socketMode = socketMode != null ? socketMode : "0660";
    if (!socketMode.matches("0?[0-7]{3}")) {
      throw new IllegalArgumentException(
          "socket-mode '" + socketMode + "' is not an octal mode such as \"0660\"");
    }
    maxSessions = maxSessions != null ? maxSessions : 256;
    if (maxSessions < 1) {
      throw new IllegalArgumentException("max-sessions must be at least 1");
    }
  }

  /** Where the milter listens; empty: the milter front-end is off. */
  public Optional<MilterAddress> listenAddress() {
    return Optional.ofNullable(address);
  }

  /** The group the unix socket is given, if any. */
  public Optional<String> group() {
    return Optional.ofNullable(socketGroup);
  }
}
