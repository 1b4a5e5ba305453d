package org.dkimrelay.relay.config;

import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;

/**
 * {@code [milter]}: the milter front-end (Postfix {@code smtpd_milters}), off unless {@code
 * address} is set. Whoever can connect can have mail signed, since the client address and login are
 * what the milter peer says: over TCP only peers in {@code allow} are served, and a unix socket
 * gets {@code socket-mode} (never open to others) and, if set, {@code socket-group}, so Postfix's
 * chrooted smtpd can connect. Mail is signed when the client is {@code internal} or, with {@code
 * authenticated}, logged in with SMTP AUTH (as OpenDKIM's InternalHosts and its treatment of
 * authenticated senders); other mail passes unsigned. A connection that sends nothing for {@code
 * timeout} is closed.
 */
public record MilterConfig(
    Optional<MilterAddress> address,
    List<Cidr> allow,
    List<Cidr> internal,
    boolean authenticated,
    String socketMode,
    Optional<String> socketGroup,
    int maxSessions,
    Interval timeout) {
  public MilterConfig {
    allow = List.copyOf(allow);
    internal = List.copyOf(internal);
    if (!socketMode.matches("0?[0-7]{3}")) {
      throw new IllegalArgumentException(
          "socket-mode '" + socketMode + "' is not an octal mode such as \"0660\"");
    }
    if (socketMode.charAt(socketMode.length() - 1) != '0') {
      throw new IllegalArgumentException(
          "socket-mode '"
              + socketMode
              + "' lets every local user connect and have mail signed: use \"0660\" and set"
              + " socket-group to the MTA's group");
    }
    if (maxSessions < 1) {
      throw new IllegalArgumentException("max-sessions must be at least 1");
    }
    Optional<HostPort> inet = address.flatMap(MilterAddress::inet);
    if (inet.isPresent() && !inet.get().loopback() && allow.stream().anyMatch(Cidr::everyone)) {
      throw new IllegalArgumentException(
          "address "
              + address.get()
              + " is reachable from other hosts and allow lets every address in: narrow allow"
              + " to your MTA's addresses (whoever can connect can have mail signed)");
    }
  }
}
