package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;

/**
 * The whole configuration (docs/configuration.md) as validated settings: every value present (an
 * optional one as {@link Optional}), paths as {@link Path}, choices as enums. {@link ConfigLoader}
 * builds it from {@code dkimrelay.toml} through {@link ConfigFile}, which fills the defaults that
 * {@code run --print-config} shows.
 */
public record RelayConfig(
    MilterConfig milter,
    Listen listen,
    Upstream upstream,
    SigningConfig signing,
    Dns dns,
    Metrics metrics,
    Log log,
    Rotation rotation,
    SendersConfig senders) {

  public RelayConfig {
    if (milter.address().isEmpty() && !listen.enabled()) {
      throw new IllegalArgumentException(
          "listen.enabled = false and no [milter] address: nothing would receive mail");
    }
  }

  /** The configuration of an empty file. */
  public static RelayConfig defaults() {
    return ConfigFile.EMPTY.settings();
  }

  /** The same configuration with relative paths resolved against {@code home}. */
  public RelayConfig resolvedAgainst(Path home) {
    Listen l = listen;
    Upstream u = upstream;
    return new RelayConfig(
        milter,
        new Listen(
            l.enabled(),
            l.address(),
            l.allow(),
            l.maxMessageSize(),
            l.maxSessions(),
            l.hostname(),
            l.timeout(),
            l.minDataRate(),
            l.tls()
                .map(
                    tls ->
                        new InboundTls(home.resolve(tls.certificate()), home.resolve(tls.key()))),
            l.usersFile().map(home::resolve)),
        new Upstream(
            u.address(),
            u.starttls(),
            u.username(),
            u.passwordFile().map(home::resolve),
            u.caFile().map(home::resolve),
            u.connectTimeout(),
            u.timeout(),
            u.dataTimeout()),
        signing.withKeys(home.resolve(signing.keys())),
        dns,
        metrics,
        log,
        rotation,
        senders);
  }

  /** {@code [listen]}: where the local MTA connects (the SMTP proxy front-end). */
  public record Listen(
      boolean enabled,
      HostPort address,
      List<Cidr> allow,
      DataSize maxMessageSize,
      int maxSessions,
      String hostname,
      Interval timeout,
      int minDataRate,
      Optional<InboundTls> tls,
      Optional<Path> usersFile) {
    public Listen {
      allow = List.copyOf(allow);
      if (minDataRate < 1) {
        throw new IllegalArgumentException("min-data-rate must be at least 1 (bytes per second)");
      }
      if (maxSessions < 1) {
        throw new IllegalArgumentException("max-sessions must be at least 1");
      }
      if (maxMessageSize.bytes() < 1024) {
        throw new IllegalArgumentException("max-message-size must be at least 1KB");
      }
      if (usersFile.isPresent() && tls.isEmpty()) {
        throw new IllegalArgumentException(
            "users-file: AUTH is offered only inside TLS, so [listen.tls] needs a certificate");
      }
      if (!address.loopback() && usersFile.isEmpty() && allow.stream().anyMatch(Cidr::everyone)) {
        throw new IllegalArgumentException(
            "address "
                + address
                + " is reachable from other hosts and allow lets every address in: narrow allow"
                + " to your MTA's addresses, or set users-file so clients must authenticate");
      }
    }
  }

  /**
   * {@code [listen.tls]}: the certificate (chain, PEM) and private key (PEM) for inbound STARTTLS,
   * needed when the relay listens beyond loopback.
   */
  public record InboundTls(Path certificate, Path key) {}

  /** {@code [upstream]}: where signed mail goes. */
  public record Upstream(
      HostPort address,
      StartTls starttls,
      Optional<String> username,
      Optional<Path> passwordFile,
      Optional<Path> caFile,
      Interval connectTimeout,
      Interval timeout,
      Interval dataTimeout) {
    public Upstream {
      if (username.isPresent() != passwordFile.isPresent()) {
        throw new IllegalArgumentException("username and password-file go together");
      }
      if (username.isPresent() && starttls != StartTls.REQUIRED) {
        throw new IllegalArgumentException(
            "AUTH is sent only inside TLS: with username set, starttls must be \"required\"");
      }
    }
  }

  /** {@code upstream.starttls}. */
  public enum StartTls {
    OFF,
    OPPORTUNISTIC,
    REQUIRED;

    @JsonCreator
    static StartTls parse(String text) {
      return Choice.parse(StartTls.class, text);
    }

    @JsonValue
    public String word() {
      return Choice.word(this);
    }
  }

  /** {@code [dns]}: {@code resolver} is {@code system} or a server's {@code HOST[:PORT]}. */
  public record Dns(String resolver, Interval recheck) {
    public Dns {
      if (!resolver.equals("system")) {
        HostPort.parse(resolver, 53);
      }
    }
  }

  /**
   * {@code [log]}: the one line per transaction as text or JSON, and with {@code explain} the
   * signing decision of every message (as {@code sign --explain} prints it).
   */
  public record Log(LogFormat format, boolean explain) {}

  /** {@code log.format}. */
  public enum LogFormat {
    TEXT,
    JSON;

    @JsonCreator
    static LogFormat parse(String text) {
      return Choice.parse(LogFormat.class, text);
    }

    @JsonValue
    public String word() {
      return Choice.word(this);
    }
  }

  /**
   * {@code [rotation]}: {@code every} starts a successor for each active key that old (off unless
   * set); a standby key signs once its record has been seen for {@code publish-delay}; the key it
   * replaces stays published for {@code grace}, is then revoked, and its record may go after
   * another {@code grace}. {@code owner = false}: this instance never writes the keys directory; it
   * follows what the owner (or a command) wrote there, every {@code dns.recheck}.
   */
  public record Rotation(
      Optional<Interval> every, Interval publishDelay, Interval grace, boolean owner) {}

  /** {@code [metrics]}: off unless an address is set. */
  public record Metrics(Optional<HostPort> address) {}
}
