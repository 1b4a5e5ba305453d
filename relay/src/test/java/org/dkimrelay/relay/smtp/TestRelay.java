package org.dkimrelay.relay.smtp;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.config.SigningSetup;
import org.dkimrelay.relay.dkim.DkimSigner;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningPolicy;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/** A relay on 127.0.0.1 and a free port, with keys for example.com (RSA and Ed25519). */
final class TestRelay implements AutoCloseable {
  private final RelayServer server;
  private final Map<String, String> records;
  private final RelayMetrics metrics;

  private TestRelay(RelayServer server, Map<String, String> records, RelayMetrics metrics) {
    this.server = server;
    this.records = records;
    this.metrics = metrics;
  }

  RelayMetrics metrics() {
    return metrics;
  }

  int port() {
    return server.port();
  }

  /** The DNS records of the relay's keys, for the outside verifiers. */
  Map<String, String> records() {
    return records;
  }

  @Override
  public void close() {
    server.stop(Duration.ZERO);
  }

  static Builder builder(Path dir, int upstreamPort) {
    return new Builder(dir, upstreamPort);
  }

  static final class Builder {
    private final Path dir;
    private final int upstreamPort;
    private List<Cidr> allow = List.of(Cidr.parse("127.0.0.0/8"));
    private int maxSessions = 64;
    private long maxMessageSize = 50L * 1024 * 1024;
    private boolean rejectUnknown;
    private Duration upstreamTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofMinutes(1);
    private long minDataRate = 500;
    private Optional<RelayServer.TlsFiles> inboundTls = Optional.empty();
    private Optional<Path> usersFile = Optional.empty();
    private UpstreamSettings.TlsMode tls = UpstreamSettings.TlsMode.OFF;
    private SSLContext tlsContext;
    private String upstreamHost = "127.0.0.1";
    private Optional<UpstreamSettings.Credentials> credentials = Optional.empty();

    Builder credentials(String username, Path passwordFile) {
      credentials = Optional.of(new UpstreamSettings.Credentials(username, passwordFile));
      return this;
    }

    private Builder(Path dir, int upstreamPort) {
      this.dir = dir;
      this.upstreamPort = upstreamPort;
    }

    Builder allow(String... ranges) {
      allow = java.util.Arrays.stream(ranges).map(Cidr::parse).toList();
      return this;
    }

    Builder maxSessions(int value) {
      maxSessions = value;
      return this;
    }

    Builder maxMessageSize(long value) {
      maxMessageSize = value;
      return this;
    }

    Builder rejectUnknownDomains() {
      rejectUnknown = true;
      return this;
    }

    Builder idleTimeout(Duration value) {
      idleTimeout = value;
      return this;
    }

    /** Offers STARTTLS with this certificate and key, and requires AUTH against these users. */
    Builder inbound(Path certificate, Path key, Path users) {
      inboundTls = Optional.of(new RelayServer.TlsFiles(certificate, key));
      usersFile = Optional.of(users);
      return this;
    }

    Builder minDataRate(long bytesPerSecond) {
      minDataRate = bytesPerSecond;
      return this;
    }

    Builder upstreamTimeout(Duration value) {
      upstreamTimeout = value;
      return this;
    }

    Builder tls(UpstreamSettings.TlsMode mode, SSLContext context, String host) {
      tls = mode;
      tlsContext = context;
      upstreamHost = host;
      return this;
    }

    TestRelay start() throws Exception {
      KeyDirectory keys = new KeyDirectory(dir.resolve("keys"));
      Map<String, String> records = new HashMap<>();
      DkimKeyGenerator generator = new DkimKeyGenerator(new SecureRandom());
      for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
        Selector selector = Selector.parse(algorithm == KeyAlgorithm.RSA ? "r1" : "e1");
        DkimKey key =
            generator.generate(SigningDomain.parse("example.com"), selector, algorithm, 2048);
        keys.store(key, key.txtRecord(3600));
        records.put(selector + "._domainkey.example.com", key.record().value());
      }
      RelayConfig.Signing signing = RelayConfig.defaults().signing();
      SigningEngine engine = SigningSetup.load(signing, keys, Clock.systemUTC());
      if (rejectUnknown) {
        engine =
            new SigningEngine(
                engine.table(),
                new DkimSigner(SigningPolicy.defaults(), Clock.systemUTC()),
                true,
                true);
      }
      UpstreamSettings upstream =
          new UpstreamSettings(
              upstreamHost,
              upstreamPort,
              tls,
              tlsContext != null ? tlsContext : SSLContext.getDefault(),
              credentials,
              "relay.test",
              Duration.ofSeconds(5),
              upstreamTimeout,
              upstreamTimeout);
      RelayMetrics metrics = new RelayMetrics();
      RelayServer server =
          new RelayServer(
              new RelayServer.Listen(
                  "127.0.0.1",
                  0,
                  allow,
                  maxSessions,
                  maxMessageSize,
                  "relay.test",
                  idleTimeout,
                  minDataRate,
                  inboundTls,
                  usersFile),
              new MessagePipeline(engine, metrics, false),
              new Spooler(dir.resolve("spool"), 64 * 1024, 1024 * 1024, maxMessageSize),
              upstream);
      server.start();
      return new TestRelay(server, records, metrics);
    }
  }
}
