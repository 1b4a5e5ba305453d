package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.rotation.RotationPolicy;

/**
 * The whole configuration (DESIGN.md), bound from TOML once at start-up into immutable, validated
 * records. Every key is optional; an absent key takes the default shown by {@code run
 * --print-config}.
 */
public record RelayConfig(
    MilterConfig milter,
    Listen listen,
    Upstream upstream,
    SigningConfig signing,
    Dns dns,
    Metrics metrics,
    Log log,
    Rotation rotation) {

  public RelayConfig {
    milter = milter != null ? milter : new MilterConfig(null, null, null, null, null, null);
    listen =
        listen != null
            ? listen
            : new Listen(null, null, null, null, null, null, null, null, null, null);
    if (milter.listenAddress().isEmpty() && !listen.enabled()) {
      throw new IllegalArgumentException(
          "listen.enabled = false and no [milter] address: nothing would receive mail");
    }
    upstream =
        upstream != null ? upstream : new Upstream(null, null, null, null, null, null, null, null);

    signing = signing != null ? signing : SigningConfig.defaults();
    dns = dns != null ? dns : new Dns(null, null);
    metrics = metrics != null ? metrics : new Metrics(null);
    log = log != null ? log : new Log(null, null);
    rotation = rotation != null ? rotation : new Rotation(null, null, null, null);
  }

  public static RelayConfig defaults() {
    return new RelayConfig(null, null, null, null, null, null, null, null);
  }

  /** The same configuration with relative paths resolved against {@code home}. */
  public RelayConfig resolvedAgainst(Path home) {
    SigningConfig s = signing;
    SigningConfig signingResolved =
        new SigningConfig(
            resolve(home, s.keys()),
            s.subdomains(),
            s.headers(),
            s.oversign(),
            s.canonicalization(),
            s.unknownDomain(),
            s.onMalformed(),
            s.requirePublished(),
            s.expire());
    Upstream u = upstream;
    Upstream upstreamResolved =
        new Upstream(
            u.address(),
            u.starttls(),
            u.username(),
            resolve(home, u.passwordFile()),
            resolve(home, u.caFile()),
            u.connectTimeout(),
            u.timeout(),
            u.dataTimeout());
    Listen l = listen;
    Listen listenResolved =
        new Listen(
            l.enabled(),
            l.address(),
            l.allow(),
            l.maxMessageSize(),
            l.maxSessions(),
            l.hostname(),
            l.timeout(),
            l.minDataRate(),
            l.tls() == null
                ? null
                : new InboundTls(
                    resolve(home, l.tls().certificate()), resolve(home, l.tls().key())),
            resolve(home, l.usersFile()));
    return new RelayConfig(
        milter, listenResolved, upstreamResolved, signingResolved, dns, metrics, log, rotation);
  }

  private static String resolve(Path home, String path) {
    return path == null ? null : home.resolve(path).toString();
  }

  /** {@code [listen]}: where the local MTA connects (the SMTP proxy front-end). */
  public record Listen(
      Boolean enabled,
      HostPort address,
      List<Cidr> allow,
      DataSize maxMessageSize,
      Integer maxSessions,
      String hostname,
      Interval timeout,
      Integer minDataRate,
      InboundTls tls,
      String usersFile) {
    public Listen {
      enabled = enabled != null ? enabled : true;
      hostname = hostname != null ? hostname : "localhost";
      timeout = timeout != null ? timeout : Interval.parse("5m");
      minDataRate = minDataRate != null ? minDataRate : 500; // bytes/s, as Postfix's smtpd
      if (minDataRate < 1) {
        throw new IllegalArgumentException("min-data-rate must be at least 1 (bytes per second)");
      }
      address = address != null ? address : new HostPort("127.0.0.1", 10027);
      allow =
          allow != null
              ? List.copyOf(allow)
              : List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
      maxMessageSize = maxMessageSize != null ? maxMessageSize : DataSize.parse("50MB");
      maxSessions = maxSessions != null ? maxSessions : 64;
      if (maxSessions < 1) {
        throw new IllegalArgumentException("max-sessions must be at least 1");
      }
      if (maxMessageSize.bytes() < 1024) {
        throw new IllegalArgumentException("max-message-size must be at least 1KB");
      }
      if (usersFile != null && tls == null) {
        throw new IllegalArgumentException(
            "users-file: AUTH is offered only inside TLS, so [listen.tls] needs a certificate");
      }
      if (!address.loopback() && usersFile == null && allow.stream().anyMatch(Cidr::everyone)) {
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
  public record InboundTls(String certificate, String key) {
    public InboundTls {
      if (certificate == null || key == null) {
        throw new IllegalArgumentException("tls needs both certificate and key");
      }
    }
  }

  /** {@code [upstream]}: where signed mail goes. */
  public record Upstream(
      HostPort address,
      StartTls starttls,
      String username,
      String passwordFile,
      String caFile,
      Interval connectTimeout,
      Interval timeout,
      Interval dataTimeout) {
    public Upstream {
      // RFC 5321 §4.5.3.2: 5 minutes for each reply, 10 for the reply after the final dot
      connectTimeout = connectTimeout != null ? connectTimeout : Interval.parse("30s");
      timeout = timeout != null ? timeout : Interval.parse("5m");
      dataTimeout = dataTimeout != null ? dataTimeout : Interval.parse("10m");

      address = address != null ? address : new HostPort("127.0.0.1", 10028);
      starttls = starttls != null ? starttls : StartTls.OFF;
      if ((username == null) != (passwordFile == null)) {
        throw new IllegalArgumentException("username and password-file go together");
      }
      if (username != null && starttls != StartTls.REQUIRED) {
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

  /** {@code [dns]}. */
  public record Dns(String resolver, Interval recheck) {
    public Dns {
      resolver = resolver != null ? resolver : "system";
      recheck = recheck != null ? recheck : Interval.parse("10m");
      if (!resolver.equals("system")) {
        HostPort.parse(resolver, 53);
      }
    }
  }

  /**
   * {@code [log]}: the one line per transaction as text or JSON, and with {@code explain} the
   * signing decision of every message (as {@code sign --explain} prints it).
   */
  public record Log(LogFormat format, Boolean explain) {
    public Log {
      format = format != null ? format : LogFormat.TEXT;
      explain = explain != null ? explain : false;
    }
  }

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
   * another {@code grace}.
   */
  /**
   * {@code [rotation]}. {@code owner = false}: this instance never writes the keys directory; it
   * follows what the owner (or a command) wrote there, every {@code dns.recheck}.
   */
  public record Rotation(Interval every, Interval publishDelay, Interval grace, Boolean owner) {
    public Rotation {
      publishDelay = publishDelay != null ? publishDelay : Interval.parse("1h");
      grace = grace != null ? grace : Interval.parse("7d");
      owner = owner != null ? owner : Boolean.TRUE;
    }

    public boolean owns() {
      return owner;
    }

    public RotationPolicy policy() {
      return new RotationPolicy(
          Optional.ofNullable(every).map(Interval::duration),
          publishDelay.duration(),
          grace.duration());
    }
  }

  /** {@code [metrics]}: off unless an address is set. */
  public record Metrics(HostPort address) {}
}
