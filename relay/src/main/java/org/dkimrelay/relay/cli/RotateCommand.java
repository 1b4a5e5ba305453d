package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.rotation.KeyLifecycle;
import org.dkimrelay.relay.rotation.KeyRotation;
import org.dkimrelay.relay.rotation.KeyState;
import org.dkimrelay.relay.rotation.LifecycleFile;
import org.dkimrelay.relay.service.Policies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code rotate DOMAIN}: a standby key for each algorithm the domain signs with (or those given),
 * and the records to publish. The running relay does the rest once DNS shows them.
 */
@Command(
    name = "rotate",
    description =
        "Create the next (standby) key of DOMAIN for each algorithm in use and print the records"
            + " to publish; the relay switches to them once DNS shows them.",
    mixinStandardHelpOptions = true)
final class RotateCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOMAIN", description = "The domain whose keys rotate.")
  String domain;

  @Option(
      names = "--algorithm",
      paramLabel = "rsa|ed25519",
      description = "Rotate only this algorithm (repeatable; default: every algorithm in use).")
  List<String> algorithms;

  @Mixin ConfigOptions options;

  RotateCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    SigningDomain signingDomain = SigningDomain.parse(domain);
    KeyDirectory keys = options.directory(context);
    RelayConfig config = options.config(context);
    KeyRotation rotation =
        new KeyRotation(keys, Policies.rotation(config.rotation()), context.clock());
    DomainKeys current = DomainKeys.of(keys, signingDomain);
    Set<KeyAlgorithm> inUse = current.active().keySet();
    if (inUse.isEmpty()) {
      throw new UserError(
          "no active key for "
              + signingDomain
              + " in "
              + keys.root()
              + ": create one with 'keygen "
              + signingDomain
              + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    DkimKeyGenerator generator = new DkimKeyGenerator(context.random());
    for (KeyAlgorithm algorithm : wanted(inUse)) {
      if (current.waiting().contains(algorithm)) {
        out.println(
            signingDomain
                + " already has a standby "
                + algorithm.keyType()
                + " key waiting for its record: see 'keys list'");
        continue;
      }
      DkimKey key = rotation.startRotation(generator, signingDomain, algorithm);
      printStandby(out, key, current.active().getOrDefault(algorithm, List.of()));
    }
    printWhatFollows(out, config);
    return ExitCode.OK;
  }

  /** The algorithms asked for with --algorithm, or every one the domain signs with now. */
  private Set<KeyAlgorithm> wanted(Set<KeyAlgorithm> inUse) {
    Set<KeyAlgorithm> wanted = EnumSet.noneOf(KeyAlgorithm.class);
    if (algorithms == null) {
      wanted.addAll(inUse);
    } else {
      algorithms.forEach(name -> wanted.add(KeyAlgorithm.parse(name)));
    }
    return wanted;
  }

  private static void printStandby(PrintWriter out, DkimKey key, List<String> replaced) {
    out.println(
        "New standby key "
            + key.selector()
            + " ("
            + key.describe()
            + ") for "
            + key.domain()
            + ". Publish:");
    out.println("  " + key.txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine());
    if (replaced.size() > 1) {
      out.println(
          "It takes over from every active "
              + key.algorithm().keyType()
              + " key: "
              + String.join(", ", replaced)
              + (key.algorithm() == KeyAlgorithm.RSA
                  ? "; it has the largest of their sizes."
                  : "."));
    }
  }

  private static void printWhatFollows(PrintWriter out, RelayConfig config) {
    out.println();
    out.println(
        "The relay checks DNS every dns.recheck ("
            + config.dns().recheck()
            + "); once it sees a new record it waits rotation.publish-delay ("
            + config.rotation().publishDelay()
            + ") for DNS caches, signs with the new key and retires the old one, which stays"
            + " published for rotation.grace ("
            + config.rotation().grace()
            + ") and is then revoked. 'keys list' shows each step.");
  }

  /** The domain's active keys by algorithm ("r1 (rsa 2048)"), and the algorithms with a standby. */
  private record DomainKeys(Map<KeyAlgorithm, List<String>> active, Set<KeyAlgorithm> waiting) {
    static DomainKeys of(KeyDirectory keys, SigningDomain domain) {
      Map<String, KeyLifecycle> lifecycle = LifecycleFile.read(keys.root().resolve(domain.name()));
      Map<KeyAlgorithm, List<String>> active = new EnumMap<>(KeyAlgorithm.class);
      Set<KeyAlgorithm> waiting = EnumSet.noneOf(KeyAlgorithm.class);
      for (KeyDirectory.Entry entry : keys.list()) {
        if (entry.domain().equals(domain)) {
          KeyState state = LifecycleFile.stateOf(lifecycle, entry.selector().value());
          DkimKey key = keys.load(entry.domain(), entry.selector());
          if (state == KeyState.ACTIVE) {
            active
                .computeIfAbsent(key.algorithm(), a -> new ArrayList<>())
                .add(entry.selector() + " (" + key.describe() + ")");
          } else if (state == KeyState.STANDBY) {
            waiting.add(key.algorithm());
          }
        }
      }
      return new DomainKeys(active, waiting);
    }
  }
}
