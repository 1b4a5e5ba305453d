package org.dkimrelay.relay.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserPrincipal;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.PemKeys;
import org.dkimrelay.keys.RsaKeySize;
import org.dkimrelay.relay.config.ConfigException;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.config.SigningConfig;
import org.dkimrelay.relay.dkim.HeaderBlock;
import org.dkimrelay.relay.dkim.MalformedMessageException;
import org.dkimrelay.relay.dkim.SigningDecision;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dkim.SigningTable;
import org.dkimrelay.relay.opendkim.OpenDkimConf;
import org.dkimrelay.relay.opendkim.OpenDkimImport;
import org.dkimrelay.relay.service.Policies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "import-opendkim",
    description = {
      "Move an OpenDKIM set-up to dkimrelay, signing as OpenDKIM did.",
      "Imports every key with its selector (the records in DNS keep verifying), turns the",
      "SigningTable and KeyTable into signing rules and writes a configuration with the same",
      "milter socket, internal hosts, canonicalization and headers. First it prints, for",
      "addresses taken from the tables, what OpenDKIM signs and what dkimrelay will sign;",
      "nothing is written while they differ. Lists every keyword it does not carry over."
    },
    mixinStandardHelpOptions = true)
final class ImportOpenDkimCommand implements Callable<Integer> {
  /**
   * Where the configuration goes unless --output says otherwise: a new file, never the one used.
   */
  static final String NEW_CONFIG = "dkimrelay-opendkim.toml";

  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(
      arity = "0..1",
      paramLabel = "FILE",
      defaultValue = "/etc/opendkim.conf",
      description = "OpenDKIM's configuration (default: /etc/opendkim.conf).")
  Path file;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description =
          "Where to write dkimrelay's configuration (default: "
              + NEW_CONFIG
              + " beside the --config file, which must not exist yet); an existing FILE is kept"
              + " as FILE.before-opendkim.")
  Path output;

  @Option(
      names = "--user",
      paramLabel = "USER",
      description =
          "The user dkimrelay runs as: run as root, the keys are given to it (otherwise the"
              + " chown to run is printed).")
  String user;

  @Option(
      names = "--dry-run",
      description = "Print the decisions side by side and what would be written; change nothing.")
  boolean dryRun;

  @Option(
      names = "--accept-differences",
      description = "Write even where dkimrelay would sign an address differently from OpenDKIM.")
  boolean acceptDifferences;

  @Mixin ConfigOptions options;

  ImportOpenDkimCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    OpenDkimImport.Plan plan;
    try {
      OpenDkimConf conf = OpenDkimConf.parse(Files.readString(file, StandardCharsets.UTF_8));
      plan = OpenDkimImport.plan(conf, file.toAbsolutePath().getParent());
    } catch (NoSuchFileException e) {
      throw new UserError("no such file: " + file);
    } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
      throw new UserError(file + ": " + e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    Map<OpenDkimImport.KeyEntry, DkimKey> keys = readKeys(plan);

    int differences = printDecisions(plan, keys, out);
    KeyDirectory directory = options.directory(context);
    Path target = target();
    String toml = toml(plan, directory.root());
    checkLoads(toml, target);
    if (!plan.notCarried().isEmpty()) {
      out.println();
      out.println("Not carried over (check each):");
      plan.notCarried().forEach(note -> out.println("  " + note));
    }
    out.println();
    if (differences > 0 && !acceptDifferences) {
      out.println(
          "dkimrelay would sign "
              + differences
              + " address(es) differently from OpenDKIM (marked DIFFERENT above): nothing written."
              + " Change the OpenDKIM tables, or run again with --accept-differences.");
      out.flush();
      return ExitCode.FAILED;
    }
    if (dryRun) {
      out.println("Would write " + target + ":");
      toml.lines().forEach(line -> out.println("  " + line));
      out.println("--dry-run: nothing written.");
      return ExitCode.OK;
    }
    keys.forEach((entry, key) -> importKey(directory, entry, key, out));
    writeConfig(target, toml, out);
    giveToUser(directory.root(), out);
    out.println();
    out.println("Next: stop OpenDKIM, then start dkimrelay:");
    out.println("  " + context.command() + " run --config " + target);
    out.println(
        "Postfix keeps its smtpd_milters/non_smtpd_milters: dkimrelay listens on "
            + plan.socket().map(Object::toString).orElse("inet:127.0.0.1:8891")
            + " ('scripts/postfix-chain --check' says whether Postfix agrees).");
    return ExitCode.OK;
  }

  /** Every key file read and checked before anything is written. */
  private Map<OpenDkimImport.KeyEntry, DkimKey> readKeys(OpenDkimImport.Plan plan) {
    Map<OpenDkimImport.KeyEntry, DkimKey> keys = new LinkedHashMap<>();
    for (OpenDkimImport.KeyEntry entry : plan.keys()) {
      try {
        DkimKey key =
            PemKeys.read(Files.readString(entry.keyFile(), StandardCharsets.UTF_8), null)
                .as(entry.domain(), entry.selector());
        if (key.algorithm() == KeyAlgorithm.RSA) {
          RsaKeySize.check(key.bits(), true).ifPresent(spec.commandLine().getErr()::println);
        }
        keys.put(entry, key);
      } catch (IOException e) {
        throw new UserError("cannot read the key " + entry.keyFile() + ": " + e.getMessage());
      } catch (KeyToolException e) {
        throw new UserError(entry.keyFile() + ": " + e.getMessage());
      }
    }
    return keys;
  }

  /**
   * What OpenDKIM signs and what dkimrelay will sign, side by side, for addresses taken from the
   * tables; dkimrelay's column comes from its own signing table over the imported rules and keys.
   *
   * @return how many addresses differ
   */
  private int printDecisions(
      OpenDkimImport.Plan plan, Map<OpenDkimImport.KeyEntry, DkimKey> keys, PrintWriter out) {
    SigningTable table = dkimrelayTable(plan, keys);
    List<String[]> rows = new ArrayList<>();
    int differences = 0;
    for (String address : plan.addresses()) {
      String openDkim =
          plan.openDkim().signatures(address).stream()
              .map(Object::toString)
              .collect(Collectors.joining(", "));
      String ours = dkimrelaySignatures(table, address);
      boolean same = openDkim.equals(ours);
      differences += same ? 0 : 1;
      long matches = plan.openDkim().matchingKeys(address);
      String remark =
          plan.allMatches() && matches > 2
              ? " (OpenDKIM 2.11 signs only the first and last of " + matches + " matching entries)"
              : "";
      rows.add(
          new String[] {address, none(openDkim), none(ours), same ? "" : "DIFFERENT" + remark});
    }
    int first = Math.max(7, rows.stream().mapToInt(r -> r[0].length()).max().orElse(0));
    int second = Math.max(13, rows.stream().mapToInt(r -> r[1].length()).max().orElse(0));
    int third = Math.max(19, rows.stream().mapToInt(r -> r[2].length()).max().orElse(0));
    String format = "%-" + first + "s  %-" + second + "s  %-" + third + "s  %s%n";
    out.printf(format, "From:", "OpenDKIM signs", "dkimrelay will sign", "");
    rows.forEach(row -> out.printf(format, (Object[]) row));
    return differences;
  }

  private static String none(String signatures) {
    return signatures.isEmpty() ? "(unsigned)" : signatures;
  }

  private static SigningTable dkimrelayTable(
      OpenDkimImport.Plan plan, Map<OpenDkimImport.KeyEntry, DkimKey> keys) {
    List<SigningKey> signingKeys = new ArrayList<>();
    for (DkimKey key : keys.values()) {
      try {
        signingKeys.add(new SigningKey(key));
      } catch (GeneralSecurityException e) {
        throw new UserError(
            key.domain() + " " + key.selector() + ": the key cannot sign: " + e.getMessage());
      }
    }
    return new SigningTable(
        signingKeys,
        plan.subdomains().orElse(true),
        Policies.rules(plan.rules()),
        plan.allMatches());
  }

  private static String dkimrelaySignatures(SigningTable table, String address) {
    try {
      SigningDecision decision =
          table.decide(
              HeaderBlock.parse(("From: " + address + "\r\n").getBytes(StandardCharsets.UTF_8)));
      if (decision instanceof SigningDecision.Sign sign) {
        return sign.keys().stream()
            .map(key -> "d=" + key.key().domain().name() + " s=" + key.key().selector().value())
            .collect(Collectors.joining(", "));
      }
      return "";
    } catch (MalformedMessageException e) {
      return "";
    }
  }

  private Path target() {
    if (output != null) {
      return output;
    }
    Path beside = options.configFile(context).toAbsolutePath().resolveSibling(NEW_CONFIG);
    if (Files.exists(beside)) {
      throw new UserError(
          beside + " exists (an earlier import?): remove it, or name the file with --output FILE");
    }
    return beside;
  }

  private void importKey(
      KeyDirectory keys, OpenDkimImport.KeyEntry entry, DkimKey key, PrintWriter out) {
    if (Files.exists(keys.keyFile(entry.domain(), entry.selector()))) {
      out.println(
          "kept: " + entry.domain() + " " + entry.selector() + " is already in " + keys.root());
      return;
    }
    Path stored = keys.store(key, key.txtRecord(MailDnsPlan.DEFAULT_TTL));
    out.println(
        "imported: "
            + entry.domain()
            + " selector "
            + entry.selector()
            + " ("
            + key.describe()
            + ") from "
            + entry.keyFile()
            + " to "
            + stored);
  }

  /** The configuration, as few lines as say it; every other key keeps its default. */
  private static String toml(OpenDkimImport.Plan plan, Path keys) {
    List<String> lines = new ArrayList<>();
    lines.add("# Written by 'dkimrelay import-opendkim' from an OpenDKIM configuration.");
    lines.add("[milter]");
    lines.add(
        "address = " + quote(plan.socket().map(Object::toString).orElse("inet:127.0.0.1:8891")));
    if (plan.socket()
        .flatMap(socket -> socket.unix())
        .map(OpenDkimImport::inPostfixSpool)
        .orElse(false)) {
      lines.add("socket-group = \"postfix\"   # Postfix's smtpd and cleanup connect to it");
    }
    plan.internal()
        .ifPresent(
            ranges ->
                lines.add("internal = " + list(ranges.stream().map(Cidr::toString).toList())));
    lines.add("[listen]");
    lines.add("enabled = false   # milter only, as OpenDKIM was");
    lines.add("[signing]");
    lines.add("keys = " + quote(keys.toString()));
    plan.canonicalization().ifPresent(c -> lines.add("canonicalization = " + quote(c)));
    plan.signHeaders().ifPresent(headers -> lines.add("headers = " + list(headers)));
    plan.oversignHeaders().ifPresent(headers -> lines.add("oversign = " + list(headers)));
    plan.subdomains()
        .ifPresent(yes -> lines.add("subdomains = " + yes + "   # OpenDKIM's SubDomains"));
    if (!plan.rules().isEmpty()) {
      lines.add(
          "rule-match = "
              + quote(plan.allMatches() ? "all" : "first")
              + "   # OpenDKIM's MultipleSignatures");
      lines.add("# OpenDKIM's SigningTable and KeyTable, in the order OpenDKIM applies them");
      for (SigningConfig.Rule rule : plan.rules()) {
        lines.add("[[signing.rule]]");
        lines.add("from = " + quote(rule.from()));
        lines.add("keys = " + list(rule.keys()));
        rule.i().ifPresent(i -> lines.add("i = " + quote(i)));
      }
    }
    return String.join("\n", lines) + "\n";
  }

  private static void checkLoads(String toml, Path target) {
    try {
      ConfigLoader.parse(toml, target.toString()); // what we write must load
    } catch (ConfigException e) {
      throw new UserError("the configuration to write is not valid: " + e.getMessage());
    }
  }

  private void writeConfig(Path target, String text, PrintWriter out) {
    try {
      if (Files.exists(target)) {
        Path backup = Path.of(target + ".before-opendkim");
        Files.copy(target, backup, StandardCopyOption.REPLACE_EXISTING);
        out.println("kept the previous configuration as " + backup);
      }
      Files.createDirectories(target.toAbsolutePath().getParent());
      Files.writeString(target, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UserError("cannot write " + target + ": " + e.getMessage());
    }
    out.println("wrote " + target);
  }

  /**
   * The keys belong to the user dkimrelay runs as, which refuses keys owned by anyone else: given
   * to {@code --user} when run as root, otherwise the command to run is printed.
   */
  private void giveToUser(Path keys, PrintWriter out) {
    String running = System.getProperty("user.name");
    String owner = user != null ? user : "dkimrelay";
    if (running.equals(owner)) {
      return;
    }
    if (user != null && running.equals("root")) {
      try {
        UserPrincipal principal =
            FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(user);
        try (Stream<Path> files = Files.walk(keys)) {
          for (Path path : files.toList()) {
            Files.setOwner(path, principal);
          }
        }
        out.println("gave " + keys + " to " + user);
      } catch (IOException e) {
        throw new UserError("cannot give " + keys + " to " + user + ": " + e.getMessage());
      }
      return;
    }
    out.println(
        "The keys are "
            + running
            + "'s; dkimrelay's user must own them: chown -R "
            + owner
            + " "
            + keys
            + (user == null ? "   (or run this as root with --user " + owner + ")" : ""));
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String list(List<String> items) {
    return items.stream()
        .map(ImportOpenDkimCommand::quote)
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
