package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.util.Locale;
import org.dkimrelay.keys.Cidr;

/** {@code host:port}, with IPv6 literals in brackets: {@code [::1]:10027}. */
public record HostPort(String host, int port) {

  public HostPort {
    if (host.isBlank()) {
      throw new IllegalArgumentException("the host is empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not 0 to 65535");
    }
  }

  /** Parses {@code HOST:PORT}; {@code defaultPort} is used when no port is given (-1: required). */
  public static HostPort parse(String text, int defaultPort) {
    String trimmed = text.trim();
    String host;
    String port;
    if (trimmed.startsWith("[")) {
      int close = trimmed.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("'" + text + "': missing ']' after the IPv6 address");
      }
      host = trimmed.substring(1, close);
      String rest = trimmed.substring(close + 1);
      port = rest.startsWith(":") ? rest.substring(1) : null;
    } else {
      int colon = trimmed.lastIndexOf(':');
      if (colon >= 0 && trimmed.indexOf(':') != colon) {
        throw new IllegalArgumentException(
            "'" + text + "': write IPv6 addresses as [ADDRESS]:PORT");
      }
      host = colon < 0 ? trimmed : trimmed.substring(0, colon);
      port = colon < 0 ? null : trimmed.substring(colon + 1);
    }
    if (port == null) {
      if (defaultPort < 0) {
        throw new IllegalArgumentException("'" + text + "' needs a port: HOST:PORT");
      }
      return new HostPort(host, defaultPort);
    }
    try {
      return new HostPort(host, Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "': the port is not a number");
    }
  }

  /**
   * True when the host is a loopback address or {@code localhost} (RFC 6761 §6.3). Decided without
   * DNS, so reading the configuration never waits for a resolver: any other name counts as
   * reachable from other hosts.
   */
  public boolean loopback() {
    String name = host.toLowerCase(Locale.ROOT);
    if (name.equals("localhost") || name.endsWith(".localhost")) {
      return true;
    }
    return Cidr.literal(host).map(InetAddress::isLoopbackAddress).orElse(false);
  }

  @JsonCreator
  static HostPort fromConfig(String text) {
    return parse(text, -1);
  }

  @JsonValue
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
