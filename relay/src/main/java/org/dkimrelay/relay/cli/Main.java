package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.util.List;
import org.dkimrelay.keys.KeyToolException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code dkimrelay} command: wires the subcommands and maps every failure to one line. */
@Command(
    name = "dkimrelay",
    description = "Outbound DKIM signing relay and key tool.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class)
public final class Main implements Runnable {
  @Spec CommandSpec spec;

  // The status -XX:+ExitOnOutOfMemoryError gives, which the launcher and the systemd unit set.
  private static final int OUT_OF_MEMORY = 3;

  public static void main(String[] args) {
    Thread.setDefaultUncaughtExceptionHandler(Main::threadDied);
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(CliContext.system(), out, err, args));
  }

  /**
   * An OutOfMemoryError in any thread ends the process, even without the JVM flag: a relay with a
   * dead accept or session thread would look healthy and serve nobody, while a dead process is
   * restarted by the service manager (and the MTA keeps the mail meanwhile).
   */
  private static void threadDied(Thread thread, Throwable e) {
    if (e instanceof OutOfMemoryError) {
      System.err.println("dkimrelay: out of memory in " + thread.getName() + ": exiting");
      Runtime.getRuntime().halt(OUT_OF_MEMORY);
    }
    System.err.println("dkimrelay: thread " + thread.getName() + " ended: " + e);
  }

  /** Runs one command line; the exit status is 0 ok, 1 failed, 2 usage or configuration error. */
  static int run(CliContext context, PrintWriter out, PrintWriter err, String... args) {
    CommandLine commandLine = commandLine(context);
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setParameterExceptionHandler(usageError());
    commandLine.setExecutionExceptionHandler(failure());
    int exit = commandLine.execute(args);
    out.flush();
    err.flush();
    return exit;
  }

  /** Every command and subcommand, as the command line and the command reference know them. */
  static CommandLine commandLine(CliContext context) {
    CommandLine commandLine = new CommandLine(new Main());
    commandLine.addSubcommand(new KeygenCommand(context));
    CommandLine keys = new CommandLine(new KeysCommand());
    keys.addSubcommand(new KeysListCommand(context));
    keys.addSubcommand(new KeysShowCommand(context));
    keys.addSubcommand(new KeysImportCommand(context));
    keys.addSubcommand(new KeysStateCommand.Retire(context));
    keys.addSubcommand(new KeysStateCommand.Revoke(context));
    commandLine.addSubcommand(keys);
    commandLine.addSubcommand(new DnsCommand(context));
    commandLine.addSubcommand(new SignCommand(context));
    commandLine.addSubcommand(new VerifyCommand(context));
    commandLine.addSubcommand(new RunCommand(context));
    commandLine.addSubcommand(new CheckCommand(context));
    commandLine.addSubcommand(new DmarcReportCommand(context));
    commandLine.addSubcommand(new RotateCommand(context));
    commandLine.addSubcommand(new ImportOpenDkimCommand(context));
    commandLine.addSubcommand(new OpenSmtpdFilterCommand(context));
    commandLine.addSubcommand(new CommandLine.HelpCommand());
    return commandLine;
  }

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing command: " + String.join(", ", spec.subcommands().keySet()));
  }

  /** A bad option or argument: one line naming it and where help is, never the whole usage. */
  private static IParameterExceptionHandler usageError() {
    return (ParameterException e, String[] args) -> {
      CommandLine command = e.getCommandLine();
      command
          .getErr()
          .println(
              "dkimrelay: "
                  + plainWords(e)
                  + " (see '"
                  + command.getCommandSpec().qualifiedName()
                  + " --help')");
      return ExitCode.USAGE;
    };
  }

  /** picocli's usage errors said as an admin would: what is wrong, in our terms. */
  private static String plainWords(ParameterException e) {
    CommandLine.Model.CommandSpec spec = e.getCommandLine().getCommandSpec();
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched
        && !unmatched.getUnmatched().isEmpty()) {
      String first = unmatched.getUnmatched().get(0);
      if (!spec.subcommands().isEmpty() && !first.startsWith("-")) {
        return "'"
            + first
            + "' is not a command of "
            + spec.qualifiedName()
            + "; the commands are "
            + String.join(", ", spec.subcommands().keySet());
      }
      return (first.startsWith("-") ? "unknown option '" : "unexpected argument '")
          + first
          + "' for "
          + spec.qualifiedName();
    }
    if (e instanceof CommandLine.MissingParameterException missing) {
      List<String> names =
          missing.getMissing().stream()
              .map(
                  arg ->
                      arg instanceof CommandLine.Model.OptionSpec option
                          ? option.longestName() + " " + option.paramLabel()
                          : arg.paramLabel())
              .toList();
      // an argument group of which one is needed is written "(...)" by picocli
      boolean oneOf = e.getMessage().contains("argument(s): (");
      return spec.qualifiedName().replace("dkimrelay ", "")
          + " needs "
          + String.join(oneOf ? " or " : " and ", names);
    }
    return e.getMessage();
  }

  /** A failure while running: the user's own mistakes as one line; the rest as one line too. */
  private static IExecutionExceptionHandler failure() {
    return (Exception e, CommandLine command, CommandLine.ParseResult parsed) -> {
      if (e instanceof UserError || e instanceof KeyToolException) {
        command.getErr().println("dkimrelay: " + e.getMessage());
      } else {
        command.getErr().println("dkimrelay: internal error: " + e);
      }
      return ExitCode.USAGE;
    };
  }

  /** The version from the jar's manifest, or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"dkimrelay " + (version == null ? "development" : version)};
    }
  }
}
