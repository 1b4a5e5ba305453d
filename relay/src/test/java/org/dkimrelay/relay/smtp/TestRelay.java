package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.service.ConfigSource;
import org.dkimrelay.relay.service.RelayService;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/**
 * A relay on 127.0.0.1 and a free port, with keys for example.com (RSA and Ed25519), started the
 * way {@code run} starts it: a configuration file, then {@link RelayService} (in this JVM).
 */
final class TestRelay implements AutoCloseable {
  private final RelayService service;
  private final Map<String, String> records;

  private TestRelay(RelayService service, Map<String, String> records) {
    this.service = service;
    this.records = records;
  }

  RelayMetrics metrics() {
    return service.pipeline().metrics();
  }

  int port() {
    return service.proxyPort().orElseThrow();
  }

  /** The DNS records of the relay's keys, for the outside verifiers. */
  Map<String, String> records() {
    return records;
  }

  /** What SIGHUP does: configuration and keys read again. */
  void reload() {
    service.reload();
  }

  @Override
  public void close() {
    service.stop(Duration.ZERO);
  }

  static Builder builder(Path dir, int upstreamPort) {
    return new Builder(dir, upstreamPort);
  }

  static final class Builder {
    private final Path dir;
    private final int upstreamPort;
    private List<String> allow = List.of("127.0.0.0/8");
    private int maxSessions = 64;
    private long maxMessageSize = 50L * 1024 * 1024;
    private Duration upstreamTimeout = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofMinutes(1);
    private long minDataRate = 500;
    private String inbound = "";
    private UpstreamSettings.TlsMode tls = UpstreamSettings.TlsMode.OFF;
    private Optional<Path> caFile = Optional.empty();
    private String credentials = "";
    private String unknownDomain = "pass";

    private Builder(Path dir, int upstreamPort) {
      this.dir = dir;
      this.upstreamPort = upstreamPort;
    }

    Builder credentials(String username, Path passwordFile) {
      credentials = "username = \"" + username + "\"\npassword-file = \"" + passwordFile + "\"\n";
      return this;
    }

    Builder rejectUnknownDomains() {
      unknownDomain = "reject";
      return this;
    }

    Builder allow(String... ranges) {
      allow = List.of(ranges);
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

    Builder idleTimeout(Duration value) {
      idleTimeout = value;
      return this;
    }

    /** Offers STARTTLS with this certificate and key, and requires AUTH against these users. */
    Builder inbound(Path certificate, Path key, Path users) {
      inbound =
          "users-file = \""
              + users
              + "\"\n[listen.tls]\ncertificate = \""
              + certificate
              + "\"\nkey = \""
              + key
              + "\"\n";
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

    /** STARTTLS upstream in {@code mode}, trusting the CAs in {@code caFile}. */
    Builder tls(UpstreamSettings.TlsMode mode, Path caFile) {
      tls = mode;
      this.caFile = Optional.of(caFile);
      return this;
    }

    TestRelay start() throws IOException {
      Map<String, String> records = keys(new KeyDirectory(dir.resolve("keys")));
      String toml =
          "[listen]\naddress = \"127.0.0.1:0\"\nhostname = \"relay.test\"\n"
              + "allow = "
              + allow.stream().map(r -> "\"" + r + "\"").collect(Collectors.joining(", ", "[", "]"))
              + "\nmax-sessions = "
              + maxSessions
              + "\nmax-message-size = \""
              + maxMessageSize
              + "\"\ntimeout = \""
              + idleTimeout.toSeconds()
              + "s\"\nmin-data-rate = "
              + minDataRate
              + "\n"
              + inbound
              + "[upstream]\naddress = \"127.0.0.1:"
              + upstreamPort
              + "\"\nstarttls = \""
              + tls.name().toLowerCase(java.util.Locale.ROOT)
              + "\"\n"
              + caFile.map(ca -> "ca-file = \"" + ca + "\"\n").orElse("")
              + credentials
              + "connect-timeout = \"5s\"\ntimeout = \""
              + upstreamTimeout.toSeconds()
              + "s\"\ndata-timeout = \""
              + upstreamTimeout.toSeconds()
              + "s\"\n[signing]\nkeys = \""
              + dir.resolve("keys")
              + "\"\nunknown-domain = \""
              + unknownDomain
              + "\"\n"
              + RelayConfigFile.noResolver();
      Path file = Files.writeString(dir.resolve("test-relay.toml"), toml);
      RelayConfig config = load(file);
      ConfigSource source =
          new ConfigSource() {
            @Override
            public RelayConfig read() {
              return load(file);
            }

            @Override
            public KeyDirectory keys(RelayConfig config) {
              return new KeyDirectory(config.signing().keys());
            }

            @Override
            public Optional<Path> file() {
              return Optional.of(file);
            }
          };
      RelayService service =
          RelayService.start(
              source,
              config,
              Clock.systemUTC(),
              new SecureRandom(),
              new PrintWriter(new StringWriter()));
      return new TestRelay(service, records);
    }

    private static RelayConfig load(Path file) {
      try {
        return ConfigLoader.load(file, file.getParent());
      } catch (org.dkimrelay.relay.config.ConfigException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    /** example.com's keys r1 (RSA) and e1 (Ed25519), once; their records. */
    private static Map<String, String> keys(KeyDirectory keys) {
      Map<String, String> records = new HashMap<>();
      DkimKeyGenerator generator = new DkimKeyGenerator(new SecureRandom());
      for (KeyAlgorithm algorithm : KeyAlgorithm.values()) {
        Selector selector = Selector.parse(algorithm == KeyAlgorithm.RSA ? "r1" : "e1");
        SigningDomain domain = SigningDomain.parse("example.com");
        DkimKey key;
        if (keys.contains(domain, selector)) {
          key = keys.load(domain, selector); // a second relay in the same directory
        } else {
          key = generator.generate(domain, selector, algorithm, 2048);
          keys.store(key, key.txtRecord(3600));
        }
        records.put(selector + "._domainkey.example.com", key.record().value());
      }
      return records;
    }
  }
}
