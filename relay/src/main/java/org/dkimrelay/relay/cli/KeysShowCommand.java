package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.keys.TxtRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "show",
    description = "Print a key's TXT record again.",
    mixinStandardHelpOptions = true)
final class KeysShowCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOMAIN", description = "The key's domain.")
  String domain;

  @Parameters(
      index = "1",
      paramLabel = "SELECTOR",
      description = "The key's selector (see 'keys list').")
  String selector;

  @Mixin RecordOptions recordOptions;

  @Mixin ConfigOptions keys;

  KeysShowCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    KeyDirectory directory = keys.directory(context);
    DkimKey key = directory.load(SigningDomain.parse(domain), Selector.parse(selector));
    TxtRecord record = key.txtRecord(recordOptions.ttl());
    PrintWriter out = spec.commandLine().getOut();
    if (recordOptions.json) {
      String keyFile = directory.keyFile(key.domain(), key.selector()).toString();
      RecordPrinter.printJson(out, key, record, keyFile);
    } else {
      out.println("Key " + key.selector() + " for " + key.domain() + ": " + key.describe());
      out.println();
      RecordPrinter.print(out, key, record);
    }
    return ExitCode.OK;
  }
}
