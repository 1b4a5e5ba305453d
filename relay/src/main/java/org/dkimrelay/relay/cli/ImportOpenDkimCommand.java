package org.dkimrelay.relay.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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
import org.dkimrelay.relay.opendkim.OpenDkimConf;
import org.dkimrelay.relay.opendkim.OpenDkimImport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "import-opendkim",
    description = {
      "Copy an OpenDKIM set-up: its keys, selectors and milter configuration.",
      "Imports every key with its selector (the records in DNS keep verifying) and writes a",
      "configuration with the same milter socket, internal hosts, canonicalization and headers;",
      "prints what could not be carried over."
    },
    mixinStandardHelpOptions = true)
final class ImportOpenDkimCommand implements Callable<Integer> {
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
          "Where to write dkimrelay's configuration (default: the --config file, or"
              + " conf/dkimrelay.toml); an existing one is kept as FILE.before-opendkim.")
  Path output;

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
    KeyDirectory keys = options.directory(context);
    for (OpenDkimImport.KeyEntry entry : plan.keys()) {
      importKey(keys, entry, out);
    }
    Path target = output != null ? output : options.configFile(context);
    writeConfig(target, toml(plan, keys.root()), out);
    out.println();
    if (!plan.notCarried().isEmpty()) {
      out.println("Not carried over (check each):");
      plan.notCarried().forEach(note -> out.println("  " + note));
      out.println();
    }
    out.println(
        "Next: stop OpenDKIM, then start dkimrelay with 'dkimrelay run --config " + target + "'.");
    out.println(
        "Postfix keeps its smtpd_milters/non_smtpd_milters: dkimrelay listens on "
            + plan.socket().map(Object::toString).orElse("inet:127.0.0.1:8891")
            + ".");
    return ExitCode.OK;
  }

  private void importKey(KeyDirectory keys, OpenDkimImport.KeyEntry entry, PrintWriter out) {
    if (Files.exists(keys.keyFile(entry.domain(), entry.selector()))) {
      out.println(
          "kept: " + entry.domain() + " " + entry.selector() + " is already in " + keys.root());
      return;
    }
    DkimKey key;
    try {
      key =
          PemKeys.read(Files.readString(entry.keyFile(), StandardCharsets.UTF_8), null)
              .as(entry.domain(), entry.selector());
    } catch (IOException e) {
      throw new UserError("cannot read the key " + entry.keyFile() + ": " + e.getMessage());
    } catch (KeyToolException e) {
      throw new UserError(entry.keyFile() + ": " + e.getMessage());
    }
    if (key.algorithm() == KeyAlgorithm.RSA) {
      RsaKeySize.check(key.bits(), true).ifPresent(spec.commandLine().getErr()::println);
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
    plan.subdomains().ifPresent(yes -> lines.add("subdomains = " + yes));
    return String.join("\n", lines) + "\n";
  }

  private void writeConfig(Path target, String text, PrintWriter out) {
    try {
      ConfigLoader.parse(text, target.toString()); // what we write must load
    } catch (ConfigException e) {
      throw new UserError("the configuration to write is not valid: " + e.getMessage());
    }
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
    out.println("wrote " + target + ":");
    text.lines().forEach(line -> out.println("  " + line));
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
