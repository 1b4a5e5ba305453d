package org.dkimrelay.relay.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code keys list|show|import|retire|revoke}: the keys directory, inspected and managed. */
@Command(
    name = "keys",
    description = "List, show, import, retire and revoke DKIM keys.",
    mixinStandardHelpOptions = true)
final class KeysCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing subcommand: list, show, import, retire or revoke");
  }
}
