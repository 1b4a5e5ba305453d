package org.dkimrelay.relay.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.RsaKeySize;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.config.HostPort;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.metrics.MetricsServer;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.smtp.RelayServer;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.upstream.TlsContexts;
import org.dkimrelay.relay.upstream.UpstreamSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "run",
    description = {
      "Start the relay: receive mail over SMTP, sign it, forward it upstream.",
      "Prints, for each key it signs with, the TXT record that must be published."
    },
    mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
  static final int SPOOL_MEMORY_THRESHOLD = 1024 * 1024;
  static final int MAX_HEADER_BYTES = 4 * 1024 * 1024;
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  private final CliContext context;

  @Spec CommandSpec spec;

  @Option(
      names = "--domain",
      paramLabel = "D",
      description = "Create D's first key (RSA 2048) if it has none, then start.")
  String domain;

  @Option(names = "--print-config", description = "Print the effective configuration and exit.")
  boolean printConfig;

  @Option(names = "--check-config", description = "Validate the configuration and keys, then exit.")
  boolean checkConfig;

  @Mixin ConfigOptions options;

  RunCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws InterruptedException {
    RelayConfig config = options.config(context);
    PrintWriter out = spec.commandLine().getOut();
    if (printConfig) {
      out.print(ConfigLoader.render(config));
      return ExitCode.OK;
    }
    KeyDirectory keys = options.directory(context);
    if (domain != null) {
      createFirstKey(keys, SigningDomain.parse(domain), out);
    }
    if (keys.list().isEmpty()) {
      throw new UserError(
          "no keys in "
              + keys.root()
              + ": create one with 'dkimrelay keygen DOMAIN', or start with 'run --domain DOMAIN'");
    }
    SigningEngine engine = options.engine(context);
    UpstreamSettings upstream = upstreamSettings(config);
    if (checkConfig) {
      out.println("configuration and " + engine.table().keys().size() + " key(s) are valid");
      return ExitCode.OK;
    }
    KeyPublication publication = new KeyPublication(ResolverOption.using(config.dns().resolver()));
    RelayMetrics metrics = new RelayMetrics();
    KeyRotation rotation = new KeyRotation(keys, config.rotation().policy(), context.clock());
    try {
      KeyRotation.Outcome caughtUp =
          rotation.step(publication, new DkimKeyGenerator(context.random()));
      if (caughtUp.signingChanged()) {
        engine = options.engine(context); // a rotation step came due while the relay was down
      }
      report(caughtUp, metrics, out);
    } catch (UncheckedIOException | KeyToolException | IllegalArgumentException e) {
      // The keys sign as they are; the step is tried again every dns.recheck.
      say(out, "dkimrelay: rotation step failed, trying again later: " + e.getMessage());
    }
    PublishedKeys published =
        new PublishedKeys(publication, engine, config.signing().requirePublished());
    MessagePipeline pipeline =
        new MessagePipeline(published.engine(), metrics, config.log().explain());
    RelayServer server;
    try {
      server = new RelayServer(listen(config), pipeline, spooler(config), upstream);
    } catch (IllegalArgumentException e) {
      throw new UserError("listen: " + e.getMessage());
    }
    keyMetrics(metrics, keys, engine, published);
    RelayLogging.configure(config.log().format());
    try {
      server.start();
    } catch (RuntimeException e) {
      throw new UserError("cannot listen on " + config.listen().address() + ": " + rootMessage(e));
    }
    printRecords(engine, out);
    rotation.waiting().forEach(line -> out.println("  " + line));
    published.print(out);
    startMetrics(config, metrics, out);
    out.printf(
        "dkimrelay listening on %s:%d, signing for %d key(s), upstream %s%n",
        config.listen().address().host(),
        server.port(),
        published.signingKeys(),
        config.upstream().address());
    out.flush();
    published.watch(pipeline, config.dns().recheck().duration(), out);
    followRotation(rotation, publication, metrics, pipeline, published, config, out);
    if (!HangupSignal.onHangup(() -> reload(config, pipeline, published, out))) {
      LOG.warn("this JVM offers no SIGHUP handling: reload by restarting");
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.stopAdmitting();
                  out.println(
                      "dkimrelay stopping: new connections get 421; transactions in flight have up to "
                          + SHUTDOWN_GRACE.toSeconds()
                          + " s to finish");
                  out.flush();
                  server.stop(SHUTDOWN_GRACE);

                  stopped.countDown();
                },
                "dkimrelay-shutdown"));
    stopped.await();
    return ExitCode.OK;
  }

  /**
   * Every {@code dns.recheck}: one rotation step; when it changed which keys sign (a standby key
   * seen published, or a key retired by hand), the relay signs with the new set from the next
   * message on.
   */
  private void followRotation(
      KeyRotation rotation,
      KeyPublication publication,
      RelayMetrics metrics,
      MessagePipeline server,
      PublishedKeys published,
      RelayConfig config,
      PrintWriter out) {
    Repeating.every(
        config.dns().recheck().duration(),
        "rotation",
        () -> {
          synchronized (this) {
            KeyRotation.Outcome outcome =
                rotation.step(publication, new DkimKeyGenerator(context.random()));
            if (outcome.signingChanged()) {
              SigningEngine engine = options.engine(context);
              server.replaceEngine(
                  published.reload(engine, options.config(context).signing().requirePublished()));
            }
            report(outcome, metrics, out); // once the relay signs accordingly
          }
        });
  }

  /** Tells the admin (output, log, metrics) what a rotation step changed. */
  private static void report(KeyRotation.Outcome outcome, RelayMetrics metrics, PrintWriter out) {
    for (KeyRotation.Change change : outcome.changes()) {
      metrics.keyStateChanged(change.domain().name(), change.selector(), change.state().word());
      say(out, "dkimrelay: rotation: " + change.line());
    }
  }

  private static void say(PrintWriter out, String line) {
    LOG.warn(line);
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }

  /**
   * SIGHUP: reads the configuration and the keys again and signs with them from the next message.
   * Anything wrong keeps the running configuration. Listen, upstream, DNS, metrics and rotation
   * settings need a restart.
   */
  private synchronized void reload(
      RelayConfig running, MessagePipeline server, PublishedKeys published, PrintWriter out) {
    String result;
    try {
      RelayConfig fresh = options.reload(context);
      SigningEngine engine = options.engine(context);
      server.replaceEngine(published.reload(engine, fresh.signing().requirePublished()));
      result = "dkimrelay: reloaded: signing with " + published.signingKeys() + " key(s)";
      if (!fresh.listen().equals(running.listen())
          || !fresh.upstream().equals(running.upstream())
          || !fresh.dns().equals(running.dns())
          || !fresh.metrics().equals(running.metrics())
          || !fresh.rotation().equals(running.rotation())) {
        result += "; listen, upstream, dns, metrics and rotation changes take effect at restart";
      }
      LOG.info(result);
    } catch (UserError | KeyToolException e) {
      result = "dkimrelay: reload failed, keeping the running configuration: " + e.getMessage();
      LOG.error(result);
    }
    synchronized (out) {
      out.println(result);
      published.print(out);
      out.flush();
    }
  }

  private void keyMetrics(
      RelayMetrics metrics, KeyDirectory keys, SigningEngine engine, PublishedKeys published) {
    for (SigningKey key : engine.table().keys()) {
      Instant created =
          KeyDirectory.written(keys.keyFile(key.key().domain(), key.key().selector()))
              .orElse(context.clock().instant());
      metrics.key(
          key.key().domain().name(),
          key.key().selector().value(),
          created,
          context.clock(),
          () -> published.usable(key));
    }
  }

  /** {@code [metrics] address}: Prometheus text at /metrics; off unless set. */
  private static void startMetrics(RelayConfig config, RelayMetrics metrics, PrintWriter out) {
    HostPort address = config.metrics().address();
    if (address == null) {
      return;
    }
    try {
      MetricsServer server = new MetricsServer(address.host(), address.port(), metrics);
      server.start();
      out.println("metrics at http://" + address.host() + ":" + server.port() + "/metrics");
    } catch (IOException e) {
      throw new UserError("metrics.address " + address + ": " + e.getMessage());
    }
  }

  private void createFirstKey(KeyDirectory keys, SigningDomain signingDomain, PrintWriter out) {
    boolean hasKey = keys.list().stream().anyMatch(entry -> entry.domain().equals(signingDomain));
    if (hasKey) {
      return;
    }
    Selector selector = Selector.dated(YearMonth.now(context.clock()), KeyAlgorithm.RSA);
    DkimKey key =
        new DkimKeyGenerator(context.random())
            .generate(signingDomain, selector, KeyAlgorithm.RSA, RsaKeySize.DEFAULT_BITS);
    Path file = keys.store(key, key.txtRecord(MailDnsPlan.DEFAULT_TTL));
    out.println(
        "Created " + key.describe() + " key " + selector + " for " + signingDomain + ": " + file);
  }

  private static void printRecords(SigningEngine engine, PrintWriter out) {
    out.println("Publish these TXT records ('dkimrelay check DOMAIN' compares DNS with them):");
    for (SigningKey key : engine.table().keys()) {
      out.println("  " + key.key().txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine());
    }
  }

  static RelayServer.Listen listen(RelayConfig config) {
    RelayConfig.Listen listen = config.listen();
    return new RelayServer.Listen(
        listen.address().host(),
        listen.address().port(),
        listen.allow(),
        listen.maxSessions(),
        listen.maxMessageSize().bytes(),
        listen.hostname(),
        listen.timeout().duration(),
        listen.minDataRate(),
        Optional.ofNullable(listen.tls())
            .map(tls -> new RelayServer.TlsFiles(Path.of(tls.certificate()), Path.of(tls.key()))),
        Optional.ofNullable(listen.usersFile()).map(Path::of));
  }

  static Spooler spooler(RelayConfig config) {
    Path directory = Path.of(System.getProperty("java.io.tmpdir"), "dkimrelay-spool");
    try {
      if (!Files.isDirectory(directory)) {
        Files.createDirectories(
            directory,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      Spooler spooler =
          new Spooler(
              directory,
              SPOOL_MEMORY_THRESHOLD,
              MAX_HEADER_BYTES,
              config.listen().maxMessageSize().bytes());
      spooler.removeStaleFiles(); // left by a process that was killed mid-message
      return spooler;
    } catch (IOException e) {
      throw new UserError("cannot use the spool directory " + directory + ": " + e.getMessage());
    }
  }

  static UpstreamSettings upstreamSettings(RelayConfig config) {
    RelayConfig.Upstream upstream = config.upstream();
    SSLContext tls;
    try {
      tls =
          upstream.caFile() != null
              ? TlsContexts.trusting(Path.of(upstream.caFile()))
              : TlsContexts.systemDefault();
    } catch (IOException | GeneralSecurityException e) {
      throw new UserError("upstream.ca-file: " + e.getMessage());
    }
    Optional<UpstreamSettings.Credentials> credentials =
        Optional.ofNullable(upstream.username())
            .map(user -> new UpstreamSettings.Credentials(user, Path.of(upstream.passwordFile())));
    return new UpstreamSettings(
        upstream.address().host(),
        upstream.address().port(),
        UpstreamSettings.TlsMode.valueOf(upstream.starttls().name()),
        tls,
        credentials,
        config.listen().hostname(),
        upstream.connectTimeout().duration(),
        upstream.timeout().duration(),
        upstream.dataTimeout().duration());
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage();
  }
}
