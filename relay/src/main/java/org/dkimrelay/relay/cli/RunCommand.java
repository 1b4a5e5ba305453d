package org.dkimrelay.relay.cli;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.YearMonth;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.RsaKeySize;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
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
    List<SigningKey> allKeys = engine.table().keys();
    List<KeyPublication.Status> published = publication.check(allKeys);
    boolean requirePublished = config.signing().requirePublished();
    Set<SigningKey> usable = usable(published, Set.of());
    RelayServer server =
        new RelayServer(
            listen(config),
            requirePublished ? engine.withKeys(List.copyOf(usable)) : engine,
            spooler(config),
            upstream);
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(Level.INFO);
    try {
      server.start();
    } catch (RuntimeException e) {
      throw new UserError("cannot listen on " + config.listen().address() + ": " + rootMessage(e));
    }
    printRecords(engine, out);
    printPublication(published, requirePublished, out);
    out.printf(
        "dkimrelay listening on %s:%d, signing for %d key(s), upstream %s%n",
        config.listen().address().host(),
        server.port(),
        requirePublished ? usable.size() : allKeys.size(),
        config.upstream().address());
    out.flush();
    recheckPeriodically(config, publication, allKeys, engine, server, usable, out);
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

  /**
   * Every {@code dns.recheck}, looks the keys' records up again. With {@code
   * signing.require-published}, a key that appears starts signing and one that disappears stops;
   * either way the change is printed and logged.
   */
  private static void recheckPeriodically(
      RelayConfig config,
      KeyPublication publication,
      List<SigningKey> allKeys,
      SigningEngine engine,
      RelayServer server,
      Set<SigningKey> initiallyUsable,
      PrintWriter out) {
    boolean requirePublished = config.signing().requirePublished();
    long period = config.dns().recheck().duration().toMillis();
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "dkimrelay-dns-recheck");
              thread.setDaemon(true);
              return thread;
            });
    Set<SigningKey> current = new HashSet<>(initiallyUsable);
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            List<KeyPublication.Status> statuses = publication.check(allKeys);
            Set<SigningKey> now = usable(statuses, current);
            if (!now.equals(current)) {
              for (KeyPublication.Status status : statuses) {
                if (now.contains(status.key()) != current.contains(status.key())) {
                  String change =
                      "dkimrelay: "
                          + status.line()
                          + (requirePublished
                              ? (now.contains(status.key())
                                  ? ": signing with it"
                                  : ": no longer signing with it")
                              : "");
                  out.println(change);
                  out.flush();
                  LOG.warn(change);
                }
              }
              current.clear();
              current.addAll(now);
              if (requirePublished) {
                server.replaceEngine(engine.withKeys(List.copyOf(now)));
              }
            }
          } catch (RuntimeException e) {
            LOG.warn("DNS recheck failed: {}", e.toString());
          }
        },
        period,
        period,
        TimeUnit.MILLISECONDS);
  }

  /** Published keys; a key whose lookup failed keeps its previous state ({@code before}). */
  private static Set<SigningKey> usable(
      List<KeyPublication.Status> statuses, Set<SigningKey> before) {
    Set<SigningKey> usable = new HashSet<>();
    for (KeyPublication.Status status : statuses) {
      boolean published =
          status.state() == KeyPublication.State.PUBLISHED
              || (status.state() == KeyPublication.State.UNKNOWN && before.contains(status.key()));
      if (published) {
        usable.add(status.key());
      }
    }
    return usable;
  }

  private static void printPublication(
      List<KeyPublication.Status> statuses, boolean requirePublished, PrintWriter out) {
    for (KeyPublication.Status status : statuses) {
      if (status.state() == KeyPublication.State.PUBLISHED) {
        out.println("  " + status.line());
      } else if (requirePublished) {
        out.println(
            "  "
                + status.line()
                + ": held, not used to sign until its record is published (signing.require-published)");
      } else {
        out.println(
            "  "
                + status.line()
                + ": signing anyway; receivers cannot verify until it is published");
      }
    }
  }

  private static void printRecords(SigningEngine engine, PrintWriter out) {
    out.println("Publish these TXT records (or check them with 'dkimrelay verify' after sending):");
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
        listen.timeout().duration());
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
