package org.dkimrelay.relay.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.opensmtpd.OpenSmtpdFilter;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.service.Frontends;
import org.dkimrelay.relay.service.RelayLogging;
import org.dkimrelay.relay.service.ServiceException;
import org.dkimrelay.relay.spool.Spooler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "opensmtpd-filter",
    description = {
      "The OpenSMTPD proc-exec filter (smtpd-filters(7)), started by smtpd.",
      "Signs each message in smtpd's own pipeline:",
      "filter \"dkim\" proc-exec \"dkimrelay opensmtpd-filter\"."
    },
    mixinStandardHelpOptions = true)
final class OpenSmtpdFilterCommand implements Callable<Integer> {
  private final CliContext context;

  @Mixin ConfigOptions options;

  OpenSmtpdFilterCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException {
    RelayConfig config = options.config(context);
    // one line per message at INFO, as run logs: on stderr, which smtpd writes to its log
    RelayLogging.configure(config.log().format());
    SigningEngine engine = options.engine(context);
    if (engine.table().keys().isEmpty()) {
      // As run does: a filter without keys would pass every message unsigned.
      throw new UserError(
          "no keys in "
              + options.directory(context).root()
              + ": create one with 'dkimrelay keygen DOMAIN'");
    }
    MessagePipeline pipeline =
        new MessagePipeline(engine, new RelayMetrics(), config.log().explain());
    // Lines are bytes to us: Latin-1 both ways gives every byte back as it came.
    PrintStream out = new PrintStream(context.stdout(), false, StandardCharsets.ISO_8859_1);
    Spooler spooler;
    try {
      spooler = Frontends.spooler(config, Frontends.memoryBudget());
    } catch (ServiceException e) {
      throw new UserError(e.getMessage());
    }
    try {
      new OpenSmtpdFilter(
              pipeline, spooler, config.listen().maxMessageSize().bytes(), context.clock(), out)
          .run(context.stdin());
    } catch (OpenSmtpdFilter.UnsupportedVersion e) {
      throw new UserError(e.getMessage());
    }
    return ExitCode.OK;
  }
}
