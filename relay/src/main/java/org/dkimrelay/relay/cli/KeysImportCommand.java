package org.dkimrelay.relay.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.PemKeys;
import org.dkimrelay.keys.RsaKeySize;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.keys.TxtRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "import",
    description = {
      "Import an existing private key so its published record keeps working.",
      "Reads PKCS#8 RSA/Ed25519 (opendkim-genkey), PKCS#1, encrypted PEM,",
      "and the base64 Ed25519 key that dkimpy and rspamd write."
    },
    mixinStandardHelpOptions = true)
final class KeysImportCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The private key file.")
  Path file;

  @Option(
      names = "--domain",
      paramLabel = "D",
      required = true,
      description = "The domain the key signs for.")
  String domain;

  @Option(
      names = "--selector",
      paramLabel = "S",
      required = true,
      description = "Its selector: the one its record in DNS is published under.")
  String selector;

  @Option(
      names = "--passphrase-file",
      paramLabel = "FILE",
      description = "File whose first line is the passphrase of an encrypted key.")
  Path passphraseFile;

  @Option(
      names = "--allow-weak",
      description = "Accept an RSA key of 1024 to 2047 bits (not recommended; RFC 8301).")
  boolean allowWeak;

  @Option(names = "--json", description = "Print the record as JSON, for automation.")
  boolean json;

  @Mixin ConfigOptions keys;

  KeysImportCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    SigningDomain signingDomain = SigningDomain.parse(domain);
    Selector keySelector = Selector.parse(selector);
    KeyDirectory directory = keys.directory(context);
    directory.requireAbsent(signingDomain, keySelector);
    DkimKey key = PemKeys.read(readText(file), passphrase()).as(signingDomain, keySelector);
    if (key.algorithm() == KeyAlgorithm.RSA) {
      RsaKeySize.check(key.bits(), allowWeak).ifPresent(spec.commandLine().getErr()::println);
    }
    TxtRecord record = key.txtRecord(MailDnsPlan.DEFAULT_TTL);
    Path keyFile = directory.store(key, record);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      RecordPrinter.printJson(out, key, record, keyFile.toString());
    } else {
      out.println("Imported " + key.describe() + " key " + keySelector + " for " + signingDomain);
      out.println("  private key: " + keyFile + " (PKCS#8, mode 0600)");
      out.println("If this selector is already published, DNS must hold exactly this value;");
      out.println("'check " + signingDomain + "' compares them.");
      out.println();
      RecordPrinter.print(out, key, record);
    }
    return ExitCode.OK;
  }

  private char[] passphrase() {
    if (passphraseFile == null) {
      return null;
    }
    String text = readText(passphraseFile);
    int newline = text.indexOf('\n');
    String line = newline < 0 ? text : text.substring(0, newline);
    return (line.endsWith("\r") ? line.substring(0, line.length() - 1) : line).toCharArray();
  }

  private static String readText(Path path) {
    try {
      return Files.readString(path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UserError("no such file: " + path);
    } catch (MalformedInputException e) {
      throw new UserError(path + " is not a text file: give a PEM or base64 key file");
    } catch (IOException e) {
      throw new UserError("cannot read " + path + ": " + e.getMessage());
    }
  }
}
