package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the milter listens, written as Postfix writes its {@code smtpd_milters} entries: {@code
 * inet:HOST:PORT} or {@code unix:/PATH}; OpenDKIM's {@code inet:PORT@HOST}, {@code inet6:...} and
 * {@code local:/PATH} are read too, so an imported OpenDKIM {@code Socket} works unchanged.
 */
public record MilterAddress(Optional<HostPort> inet, Optional<Path> unix) {
  public MilterAddress {
    if (inet.isPresent() == unix.isPresent()) {
      throw new IllegalArgumentException("a milter address is either inet: or unix:");
    }
  }

  @JsonCreator
  public static MilterAddress parse(String text) {
    String trimmed = text.trim();
    int colon = trimmed.indexOf(':');
    String scheme = colon < 0 ? "" : trimmed.substring(0, colon);
    String rest = colon < 0 ? trimmed : trimmed.substring(colon + 1);
    switch (scheme) {
      case "unix", "local" -> {
        if (!rest.startsWith("/")) {
          throw new IllegalArgumentException(
              "'"
                  + text
                  + "': a unix socket needs an absolute path, e.g. unix:/run/dkimrelay/milter.sock");
        }
        return new MilterAddress(Optional.empty(), Optional.of(Path.of(rest)));
      }
      case "inet", "inet6" -> {
        int at = rest.indexOf('@'); // OpenDKIM: inet:PORT@HOST
        HostPort address =
            at >= 0
                ? HostPort.parse(
                    bracketed(rest.substring(at + 1)) + ":" + rest.substring(0, at), -1)
                : HostPort.parse(rest, -1);
        return new MilterAddress(Optional.of(address), Optional.empty());
      }
      default ->
          throw new IllegalArgumentException(
              "'" + text + "': write inet:HOST:PORT (e.g. inet:127.0.0.1:8891) or unix:/PATH");
    }
  }

  private static String bracketed(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  @JsonValue
  @Override
  public String toString() {
    return inet.map(address -> "inet:" + address).orElseGet(() -> "unix:" + unix.orElseThrow());
  }
}
