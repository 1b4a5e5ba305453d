package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.rotation.KeyLifecycle;
import org.dkimrelay.relay.rotation.KeyRotation;
import org.dkimrelay.relay.rotation.KeyState;
import org.dkimrelay.relay.rotation.RotationPolicy;
import org.dkimrelay.relay.service.Policies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keys retire} and {@code keys revoke}: the lifecycle steps by hand. A running relay signs
 * accordingly after its next check (every {@code dns.recheck}) or at once on SIGHUP.
 */
abstract class KeysStateCommand implements Callable<Integer> {
  private final CliContext context;
  private final KeyState target;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOMAIN", description = "The key's domain.")
  String domain;

  @Parameters(
      index = "1",
      paramLabel = "SELECTOR",
      description = "The key's selector (see 'keys list').")
  String selector;

  @Mixin ConfigOptions options;

  KeysStateCommand(CliContext context, KeyState target) {
    this.context = context;
    this.target = target;
  }

  @Override
  public Integer call() {
    SigningDomain signingDomain = SigningDomain.parse(domain);
    Selector keySelector = Selector.parse(selector);
    RelayConfig config = options.config(context);
    RotationPolicy policy = Policies.rotation(config.rotation());
    KeyRotation rotation = new KeyRotation(options.directory(context), policy, context.clock());
    KeyLifecycle key = rotation.set(signingDomain, keySelector, target);
    PrintWriter out = spec.commandLine().getOut();
    out.println(signingDomain + "/" + keySelector + " is " + key.state().word() + ".");
    if (target == KeyState.REVOKED) {
      out.println("Its private key is deleted. Replace its TXT record with the revoked one:");
      out.println(
          "  "
              + KeyRotation.revokedRecord(signingDomain, keySelector, key.keyAlgorithm())
                  .zoneLine());
    }
    out.println("Next: " + policy.nextAction(signingDomain.name(), key) + ".");
    out.println(
        "A running relay follows at its next check, or at once on 'systemctl reload dkimrelay'.");
    return ExitCode.OK;
  }

  @Command(
      name = "retire",
      description =
          "Stop signing with a key; its record stays published for rotation.grace, then the relay"
              + " revokes it.",
      mixinStandardHelpOptions = true)
  static final class Retire extends KeysStateCommand {
    Retire(CliContext context) {
      super(context, KeyState.RETIRING);
    }
  }

  @Command(
      name = "revoke",
      description =
          "Revoke a key now (for a leaked key): delete its private key and print the empty-p="
              + " record to publish.",
      mixinStandardHelpOptions = true)
  static final class Revoke extends KeysStateCommand {
    Revoke(CliContext context) {
      super(context, KeyState.REVOKED);
    }
  }
}
