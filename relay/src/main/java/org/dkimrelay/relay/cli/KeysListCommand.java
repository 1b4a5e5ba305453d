package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.rotation.KeyLifecycle;
import org.dkimrelay.relay.rotation.KeyState;
import org.dkimrelay.relay.rotation.LifecycleFile;
import org.dkimrelay.relay.rotation.RotationPolicy;
import org.dkimrelay.relay.service.Policies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code keys list}: every key with its lifecycle state, age and next step (with its date), and
 * revoked keys whose records still matter. Exit 1 when a key file cannot be used.
 */
@Command(
    name = "list",
    description = "List every key with its state, age and next step; exit 1 if one cannot be used.",
    mixinStandardHelpOptions = true)
final class KeysListCommand implements Callable<Integer> {
  private static final String ROW = "%-24s %-12s %-10s %-9s %5s  %s%n";
  private final CliContext context;

  @Spec CommandSpec spec;
  @Mixin ConfigOptions options;

  KeysListCommand(CliContext context) {
    this.context = context;
  }

  /** One line of the table, sorted by domain and selector. */
  private record Row(String domain, String selector, String algorithm, KeyLifecycle lifecycle) {}

  @Override
  public Integer call() {
    KeyDirectory directory = options.directory(context);
    RotationPolicy policy = Policies.rotation(options.config(context).rotation());
    boolean requirePublished = options.config(context).signing().requirePublished();
    PrintWriter out = spec.commandLine().getOut();
    Map<String, Row> rows = new TreeMap<>();
    Map<SigningDomain, Map<String, KeyLifecycle>> lifecycles =
        new TreeMap<>((a, b) -> a.name().compareTo(b.name()));
    int exit = ExitCode.OK;
    for (KeyDirectory.Entry entry : directory.list()) {
      Map<String, KeyLifecycle> lifecycle =
          lifecycles.computeIfAbsent(
              entry.domain(), domain -> LifecycleFile.read(entry.keyFile().getParent()));
      String algorithm;
      KeyLifecycle known = lifecycle.get(entry.selector().value());
      try {
        DkimKey key = directory.load(entry.domain(), entry.selector());
        algorithm = key.describe();
        known =
            LifecycleFile.entryOf(
                lifecycle,
                entry.selector().value(),
                key.algorithm(),
                KeyDirectory.written(entry.keyFile()).orElse(Instant.EPOCH));
      } catch (KeyToolException e) {
        algorithm = "UNUSABLE";
        spec.commandLine().getErr().println("dkimrelay: " + e.getMessage());
        exit = ExitCode.FAILED;
      }
      rows.put(
          entry.domain() + " " + entry.selector(),
          new Row(entry.domain().name(), entry.selector().value(), algorithm, known));
    }
    addRevoked(directory, lifecycles, rows);
    if (rows.isEmpty() && !Files.isDirectory(directory.root())) {
      throw new UserError(
          "the keys directory "
              + directory.root()
              + " does not exist (check --keys or signing.keys; 'dkimrelay keygen --keys "
              + directory.root()
              + " DOMAIN' creates it with DOMAIN's first key)");
    }
    if (rows.isEmpty()) {
      out.println(
          "No keys in "
              + directory.root()
              + ": create one with 'dkimrelay keygen --keys "
              + directory.root()
              + " DOMAIN'.");
      return ExitCode.OK;
    }
    printTable(out, rows.values(), policy, requirePublished, context.clock().instant());
    return exit;
  }

  private static void printTable(
      PrintWriter out,
      Collection<Row> rows,
      RotationPolicy policy,
      boolean requirePublished,
      Instant now) {
    out.printf(ROW, "DOMAIN", "SELECTOR", "ALGORITHM", "STATE", "AGE", "NEXT");
    for (Row row : rows) {
      KeyLifecycle lifecycle = row.lifecycle();
      out.printf(
          ROW,
          row.domain(),
          row.selector(),
          row.algorithm(),
          lifecycle == null ? "?" : lifecycle.state().word(),
          lifecycle == null ? "" : Duration.between(lifecycle.created(), now).toDays() + "d",
          next(row, rows, policy, requirePublished));
    }
  }

  /** The NEXT column: what happens to the key, or what the admin must do first. */
  private static String next(
      Row row, Collection<Row> all, RotationPolicy policy, boolean requirePublished) {
    KeyLifecycle lifecycle = row.lifecycle();
    if (row.algorithm().equals("UNUSABLE")) {
      return "fix the key file first (see the error above); it does not sign";
    }
    if (lifecycle == null) {
      return "";
    }
    if (lifecycle.state() == KeyState.ACTIVE) {
      for (Row other : all) {
        if (other.domain().equals(row.domain())
            && other.lifecycle() != null
            && other.lifecycle().state() == KeyState.STANDBY
            && other.lifecycle().keyAlgorithm() == lifecycle.keyAlgorithm()) {
          return "signing until standby " + other.selector() + " takes over";
        }
      }
    }
    String next = policy.nextAction(row.domain(), lifecycle);
    // keys list asks no DNS: it says what the relay does, not whether the record is there now
    return requirePublished && lifecycle.state() == KeyState.ACTIVE
        ? "(require-published: signs only while its record is published) " + next
        : next;
  }

  /** Revoked and removed keys have no key file left, but their records may still need work. */
  private static void addRevoked(
      KeyDirectory directory,
      Map<SigningDomain, Map<String, KeyLifecycle>> lifecycles,
      Map<String, Row> rows) {
    for (Path dir : LifecycleFile.domainsUnder(directory.root())) {
      SigningDomain domain = SigningDomain.parse(dir.getFileName().toString());
      Map<String, KeyLifecycle> lifecycle =
          lifecycles.computeIfAbsent(domain, d -> LifecycleFile.read(dir));
      lifecycle.forEach(
          (selector, key) -> {
            if (key.state() == KeyState.REVOKED || key.state() == KeyState.REMOVED) {
              rows.putIfAbsent(
                  domain + " " + selector, new Row(domain.name(), selector, key.algorithm(), key));
            }
          });
    }
  }
}
