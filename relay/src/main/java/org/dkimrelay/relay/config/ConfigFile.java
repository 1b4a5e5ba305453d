package org.dkimrelay.relay.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.dkimrelay.keys.Cidr;

/**
 * {@code dkimrelay.toml} as written: plain data bound by Jackson, every key optional (null:
 * absent). {@link #settings()} fills in the defaults (docs/configuration.md) and builds the
 * validated {@link RelayConfig}; {@link #of} writes every value back, which is what {@code run
 * --print-config} prints. Nulls stay inside this class.
 */
record ConfigFile(
    MilterTable milter,
    ListenTable listen,
    UpstreamTable upstream,
    SigningTable signing,
    DnsTable dns,
    MetricsTable metrics,
    LogTable log,
    RotationTable rotation,
    SendersTable senders) {

  static final ConfigFile EMPTY =
      new ConfigFile(null, null, null, null, null, null, null, null, null);
  private static final List<Cidr> LOOPBACK =
      List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));

  RelayConfig settings() {
    MilterConfig milterSettings = table("milter", () -> or(milter, MilterTable.EMPTY).settings());
    RelayConfig.Listen listenSettings =
        table("listen", () -> or(listen, ListenTable.EMPTY).settings());
    RelayConfig.Upstream upstreamSettings =
        table("upstream", () -> or(upstream, UpstreamTable.EMPTY).settings());
    SigningConfig signingSettings =
        table("signing", () -> or(signing, SigningTable.EMPTY).settings());
    RelayConfig.Dns dnsSettings = table("dns", () -> or(dns, DnsTable.EMPTY).settings());
    RelayConfig.Metrics metricsSettings =
        new RelayConfig.Metrics(Optional.ofNullable(metrics).map(MetricsTable::address));
    RelayConfig.Log logSettings = or(log, LogTable.EMPTY).settings();
    RelayConfig.Rotation rotationSettings = or(rotation, RotationTable.EMPTY).settings();
    SendersConfig sendersSettings =
        table("senders", () -> or(senders, SendersTable.EMPTY).settings());
    return table(
        "",
        () ->
            new RelayConfig(
                milterSettings,
                listenSettings,
                upstreamSettings,
                signingSettings,
                dnsSettings,
                metricsSettings,
                logSettings,
                rotationSettings,
                sendersSettings));
  }

  static ConfigFile of(RelayConfig config) {
    return new ConfigFile(
        MilterTable.of(config.milter()),
        ListenTable.of(config.listen()),
        UpstreamTable.of(config.upstream()),
        SigningTable.of(config.signing()),
        new DnsTable(config.dns().resolver(), config.dns().recheck()),
        new MetricsTable(config.metrics().address().orElse(null)),
        new LogTable(config.log().format(), config.log().explain()),
        RotationTable.of(config.rotation()),
        new SendersTable(config.senders().onMismatch(), config.senders().logins()));
  }

  private static <T> T table(String name, Supplier<T> settings) {
    try {
      return settings.get();
    } catch (InvalidSetting e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new InvalidSetting(name, e.getMessage());
    }
  }

  private static <T> T or(T value, T otherwise) {
    return value != null ? value : otherwise;
  }

  private static Optional<Path> path(String text) {
    return Optional.ofNullable(text).map(Path::of);
  }

  private static String text(Optional<Path> path) {
    return path.map(Path::toString).orElse(null);
  }

  /** {@code [milter]}. */
  record MilterTable(
      MilterAddress address,
      List<Cidr> allow,
      List<Cidr> internal,
      Boolean authenticated,
      String socketMode,
      String socketGroup,
      Integer maxSessions,
      Interval timeout) {
    static final MilterTable EMPTY =
        new MilterTable(null, null, null, null, null, null, null, null);

    MilterConfig settings() {
      boolean reachableFromOthers =
          address != null && address.inet().map(inet -> !inet.loopback()).orElse(false);
      if (reachableFromOthers && allow == null) {
        throw new IllegalArgumentException(
            "address "
                + address
                + " is reachable from other hosts: set allow to the addresses of your MTA hosts"
                + " (whoever can connect can have mail signed)");
      }
      return new MilterConfig(
          Optional.ofNullable(address),
          or(allow, LOOPBACK),
          or(internal, LOOPBACK),
          or(authenticated, true),
          or(socketMode, "0660"),
          Optional.ofNullable(socketGroup),
          or(maxSessions, 256),
          // libmilter waits 2 hours; a slow client's upload happens between MAIL and the headers
          or(timeout, Interval.parse("1h")));
    }

    static MilterTable of(MilterConfig s) {
      return new MilterTable(
          s.address().orElse(null),
          s.allow(),
          s.internal(),
          s.authenticated(),
          s.socketMode(),
          s.socketGroup().orElse(null),
          s.maxSessions(),
          s.timeout());
    }
  }

  /** {@code [listen]}. */
  record ListenTable(
      Boolean enabled,
      HostPort address,
      List<Cidr> allow,
      DataSize maxMessageSize,
      Integer maxSessions,
      String hostname,
      Interval timeout,
      Integer minDataRate,
      TlsTable tls,
      String usersFile) {
    static final ListenTable EMPTY =
        new ListenTable(null, null, null, null, null, null, null, null, null, null);

    RelayConfig.Listen settings() {
      return new RelayConfig.Listen(
          or(enabled, true),
          or(address, new HostPort("127.0.0.1", 10027)),
          or(allow, LOOPBACK),
          or(maxMessageSize, DataSize.parse("50MB")),
          or(maxSessions, 64),
          or(hostname, "localhost"),
          or(timeout, Interval.parse("5m")),
          or(minDataRate, 500), // bytes/s, as Postfix's smtpd
          Optional.ofNullable(tls).map(t -> table("listen.tls", t::settings)),
          path(usersFile));
    }

    static ListenTable of(RelayConfig.Listen s) {
      return new ListenTable(
          s.enabled(),
          s.address(),
          s.allow(),
          s.maxMessageSize(),
          s.maxSessions(),
          s.hostname(),
          s.timeout(),
          s.minDataRate(),
          s.tls()
              .map(t -> new TlsTable(t.certificate().toString(), t.key().toString()))
              .orElse(null),
          text(s.usersFile()));
    }
  }

  /** {@code [listen.tls]}. */
  record TlsTable(String certificate, String key) {
    RelayConfig.InboundTls settings() {
      if (certificate == null || key == null) {
        throw new IllegalArgumentException("tls needs both certificate and key");
      }
      return new RelayConfig.InboundTls(Path.of(certificate), Path.of(key));
    }
  }

  /** {@code [upstream]}; timeouts as RFC 5321 §4.5.3.2 asks: 5 minutes a reply, 10 after DATA. */
  record UpstreamTable(
      HostPort address,
      RelayConfig.StartTls starttls,
      String username,
      String passwordFile,
      String caFile,
      Interval connectTimeout,
      Interval timeout,
      Interval dataTimeout) {
    static final UpstreamTable EMPTY =
        new UpstreamTable(null, null, null, null, null, null, null, null);

    RelayConfig.Upstream settings() {
      return new RelayConfig.Upstream(
          or(address, new HostPort("127.0.0.1", 10028)),
          or(starttls, RelayConfig.StartTls.OFF),
          Optional.ofNullable(username),
          path(passwordFile),
          path(caFile),
          or(connectTimeout, Interval.parse("30s")),
          or(timeout, Interval.parse("5m")),
          or(dataTimeout, Interval.parse("10m")));
    }

    static UpstreamTable of(RelayConfig.Upstream s) {
      return new UpstreamTable(
          s.address(),
          s.starttls(),
          s.username().orElse(null),
          text(s.passwordFile()),
          text(s.caFile()),
          s.connectTimeout(),
          s.timeout(),
          s.dataTimeout());
    }
  }

  /** {@code [signing]}. */
  record SigningTable(
      String keys,
      Boolean subdomains,
      List<String> headers,
      List<String> oversign,
      String canonicalization,
      SigningConfig.UnknownDomain unknownDomain,
      SigningConfig.OnMalformed onMalformed,
      Boolean requirePublished,
      Interval expire,
      Integer lineLengthLimit,
      List<RuleTable> rule,
      SigningConfig.RuleMatch ruleMatch) {
    static final SigningTable EMPTY =
        new SigningTable(null, null, null, null, null, null, null, null, null, null, null, null);

    SigningConfig settings() {
      return new SigningConfig(
          Path.of(or(keys, "conf/keys")),
          or(subdomains, true),
          or(headers, SigningConfig.DEFAULT_HEADERS),
          or(oversign, SigningConfig.DEFAULT_OVERSIGN),
          or(canonicalization, "relaxed/relaxed"),
          or(unknownDomain, SigningConfig.UnknownDomain.PASS),
          or(onMalformed, SigningConfig.OnMalformed.REJECT),
          or(requirePublished, false),
          Optional.ofNullable(expire),
          or(lineLengthLimit, SigningConfig.DEFAULT_LINE_LENGTH_LIMIT),
          or(rule, List.<RuleTable>of()).stream().map(RuleTable::settings).toList(),
          or(ruleMatch, SigningConfig.RuleMatch.FIRST));
    }

    static SigningTable of(SigningConfig s) {
      return new SigningTable(
          s.keys().toString(),
          s.subdomains(),
          s.headers(),
          s.oversign(),
          s.canonicalization(),
          s.unknownDomain(),
          s.onMalformed(),
          s.requirePublished(),
          s.expire().orElse(null),
          s.lineLengthLimit(),
          s.rules().isEmpty() ? null : s.rules().stream().map(RuleTable::of).toList(),
          s.ruleMatch());
    }
  }

  /** {@code [[signing.rule]]}. */
  record RuleTable(String from, List<String> keys, String i) {
    SigningConfig.Rule settings() {
      if (from == null || keys == null) {
        throw new IllegalArgumentException("a [[signing.rule]] needs from and keys");
      }
      return new SigningConfig.Rule(from, keys, Optional.ofNullable(i));
    }

    static RuleTable of(SigningConfig.Rule rule) {
      return new RuleTable(rule.from(), rule.keys(), rule.i().orElse(null));
    }
  }

  /** {@code [dns]}. */
  record DnsTable(String resolver, Interval recheck) {
    static final DnsTable EMPTY = new DnsTable(null, null);

    RelayConfig.Dns settings() {
      return new RelayConfig.Dns(or(resolver, "system"), or(recheck, Interval.parse("10m")));
    }
  }

  /** {@code [metrics]}. */
  record MetricsTable(HostPort address) {}

  /** {@code [log]}. */
  record LogTable(RelayConfig.LogFormat format, Boolean explain) {
    static final LogTable EMPTY = new LogTable(null, null);

    RelayConfig.Log settings() {
      return new RelayConfig.Log(or(format, RelayConfig.LogFormat.TEXT), or(explain, false));
    }
  }

  /** {@code [senders]}. */
  record SendersTable(SendersConfig.OnMismatch onMismatch, Map<String, List<String>> logins) {
    static final SendersTable EMPTY = new SendersTable(null, null);

    SendersConfig settings() {
      return new SendersConfig(
          or(onMismatch, SendersConfig.OnMismatch.REJECT), or(logins, Map.of()));
    }
  }

  /** {@code [rotation]}. */
  record RotationTable(Interval every, Interval publishDelay, Interval grace, Boolean owner) {
    static final RotationTable EMPTY = new RotationTable(null, null, null, null);

    RelayConfig.Rotation settings() {
      return new RelayConfig.Rotation(
          Optional.ofNullable(every),
          or(publishDelay, Interval.parse("1h")),
          or(grace, Interval.parse("7d")),
          or(owner, true));
    }

    static RotationTable of(RelayConfig.Rotation s) {
      return new RotationTable(s.every().orElse(null), s.publishDelay(), s.grace(), s.owner());
    }
  }
}
