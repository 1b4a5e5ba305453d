package org.dkimrelay.relay.upstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Where and how to reach upstream. Timeouts follow RFC 5321 §4.5.3.2: {@code command} for every
 * reply (the RFC asks 5 minutes for MAIL and RCPT), {@code data} for the reply after the final dot
 * (10 minutes).
 */
public record UpstreamSettings(
    String host,
    int port,
    TlsMode tls,
    SSLContext tlsContext,
    Optional<Credentials> credentials,
    String heloName,
    Duration connectTimeout,
    Duration commandTimeout,
    Duration dataTimeout) {

  /** {@code upstream.starttls}. */
  public enum TlsMode {
    OFF,
    OPPORTUNISTIC,
    REQUIRED
  }

  /** The same settings with another STARTTLS mode. */
  public UpstreamSettings withTls(TlsMode mode) {
    return new UpstreamSettings(
        host,
        port,
        mode,
        tlsContext,
        credentials,
        heloName,
        connectTimeout,
        commandTimeout,
        dataTimeout);
  }

  /** AUTH credentials; the password comes from a file, never from the config itself. */
  public record Credentials(String username, String password) {
    /** The password is the first line of {@code passwordFile}, read now (at start and reload). */
    public static Credentials read(String username, Path passwordFile) throws IOException {
      String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
      int newline = text.indexOf('\n');
      String line = newline < 0 ? text : text.substring(0, newline);
      return new Credentials(
          username, line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }

    @Override
    public String toString() {
      return "Credentials[username=" + username + ", password=(hidden)]";
    }
  }
}
