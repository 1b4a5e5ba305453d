package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "list",
    description = "List every key in the keys directory; exit 1 if one cannot be used.",
    mixinStandardHelpOptions = true)
final class KeysListCommand implements Callable<Integer> {
  private static final String ROW = "%-30s %-16s %-12s %s%n";
  private final CliContext context;

  @Spec CommandSpec spec;
  @Mixin ConfigOptions keys;

  KeysListCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    KeyDirectory directory = keys.directory(context);
    List<KeyDirectory.Entry> entries = directory.list();
    PrintWriter out = spec.commandLine().getOut();
    if (entries.isEmpty()) {
      out.println("No keys in " + directory.root() + ": create one with 'keygen DOMAIN'.");
      return ExitCode.OK;
    }
    int exit = ExitCode.OK;
    out.printf(ROW, "DOMAIN", "SELECTOR", "ALGORITHM", "FILE");
    for (KeyDirectory.Entry entry : entries) {
      String algorithm;
      try {
        DkimKey key = directory.load(entry.domain(), entry.selector());
        algorithm = key.describe();
      } catch (KeyToolException e) {
        algorithm = "UNUSABLE";
        spec.commandLine().getErr().println("dkimrelay: " + e.getMessage());
        exit = ExitCode.FAILED;
      }
      out.printf(ROW, entry.domain(), entry.selector(), algorithm, entry.keyFile());
    }
    return exit;
  }
}
