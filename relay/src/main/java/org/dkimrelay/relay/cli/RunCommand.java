package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.YearMonth;
import java.util.concurrent.Callable;
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
import org.dkimrelay.relay.service.ConfigSource;
import org.dkimrelay.relay.service.Foreground;
import org.dkimrelay.relay.service.RelayService;
import org.dkimrelay.relay.service.ServiceException;
import org.dkimrelay.relay.service.SigningRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "run",
    description = {
      "Start the relay: a milter for Postfix, an SMTP proxy, or both.",
      "The proxy signs mail and forwards it upstream; the milter signs in Postfix's queue.",
      "Prints the TXT record of each key whose record DNS does not show yet."
    },
    mixinStandardHelpOptions = true)
final class RunCommand implements Callable<Integer> {
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

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
    ConfigSource source = options.source(context);
    try {
      if (checkConfig) {
        int count = RelayService.validate(source, config, context.clock());
        out.println(
            "configuration and "
                + count
                + " key(s) are valid; signing with "
                + SigningRuntime.signatures().description());
        return ExitCode.OK;
      }
      Foreground.run(source, config, context.clock(), context.random(), out, SHUTDOWN_GRACE);
    } catch (ServiceException e) {
      throw new UserError(e.getMessage());
    }
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
}
