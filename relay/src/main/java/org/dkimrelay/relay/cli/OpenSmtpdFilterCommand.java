package org.dkimrelay.relay.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.opensmtpd.OpenSmtpdFilter;
import org.dkimrelay.relay.service.Frontends;
import org.dkimrelay.relay.service.RelayLogging;
import org.dkimrelay.relay.service.ServiceException;
import org.dkimrelay.relay.service.SigningRuntime;
import org.dkimrelay.relay.spool.Spooler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "opensmtpd-filter",
    description = {
      "The OpenSMTPD proc-exec filter (smtpd-filters(7)), started by smtpd.",
      "Signs each message in smtpd's own pipeline:",
      "filter \"dkim\" proc-exec \"dkimrelay opensmtpd-filter\".",
      "Follows key rotation and DNS, and reloads when the configuration or keys change."
    },
    mixinStandardHelpOptions = true)
final class OpenSmtpdFilterCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Mixin ConfigOptions options;

  @Option(
      names = "--check-config",
      description = {
        "Validate the configuration and keys as this user, then exit",
        "(run it as the filter's user: smtpd -n does not read the keys)."
      })
  boolean checkConfig;

  OpenSmtpdFilterCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException {
    RelayConfig config = options.config(context);
    if (checkConfig) {
      return check(config);
    }
    // one line per message at INFO, as run logs: on stderr, which smtpd writes to its log
    RelayLogging.configure(config.log().format());
    // stdout is smtpd's protocol: what run prints goes to stderr, smtpd's log
    PrintWriter log = spec.commandLine().getErr();
    SigningRuntime runtime;
    Spooler spooler;
    try {
      runtime =
          new SigningRuntime(
              options.source(context), config, context.clock(), context.random(), log);
      spooler = Frontends.spooler(config, Frontends.memoryBudget());
      runtime.announce();
    } catch (ServiceException e) {
      throw new UserError(e.getMessage());
    }
    // smtpd sends its filters no SIGHUP: changed files are seen every dns.recheck instead
    runtime.startBackground(true);
    // Lines are bytes to us: Latin-1 both ways gives every byte back as it came. Buffered here
    // and flushed once per line from smtpd: System.out flushes every write, a system call for each
    // line echoed.
    PrintStream out =
        new PrintStream(
            new BufferedOutputStream(context.stdout(), 64 * 1024),
            false,
            StandardCharsets.ISO_8859_1);
    try {
      new OpenSmtpdFilter(
              runtime.pipeline(),
              spooler,
              config.listen().maxMessageSize().bytes(),
              context.clock(),
              out)
          .run(context.stdin());
    } catch (OpenSmtpdFilter.UnsupportedVersion e) {
      throw new UserError(e.getMessage());
    } finally {
      runtime.stop();
    }
    return ExitCode.OK;
  }

  private int check(RelayConfig config) {
    try {
      int keys =
          SigningRuntime.loadEngine(options.source(context), config, context.clock())
              .table()
              .keys()
              .size();
      spec.commandLine()
          .getOut()
          .println(
              "configuration and "
                  + keys
                  + " key(s) are valid for the user "
                  + System.getProperty("user.name")
                  + "; signing with "
                  + SigningRuntime.signatures().description());
      return ExitCode.OK;
    } catch (ServiceException e) {
      throw new UserError(e.getMessage());
    }
  }
}
