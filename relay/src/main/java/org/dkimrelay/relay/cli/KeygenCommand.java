package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.YearMonth;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
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
    name = "keygen",
    description = "Generate a DKIM key pair and print the TXT record to publish.",
    mixinStandardHelpOptions = true)
final class KeygenCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "DOMAIN", description = "The domain in From: (IDN allowed).")
  String domain;

  @Option(
      names = "--selector",
      paramLabel = "S",
      description = "Selector (default: year, month and r/e, such as 202611r).")
  String selector;

  @Option(
      names = "--algorithm",
      paramLabel = "rsa|ed25519",
      defaultValue = "rsa",
      description = "Key type (default: ${DEFAULT-VALUE}).")
  String algorithm;

  @Option(
      names = "--bits",
      paramLabel = "N",
      description = "RSA key size: 2048 (default), 3072 or 4096.")
  Integer bits;

  @Option(
      names = "--allow-weak",
      description = "Accept a 1024-bit RSA key (not recommended; RFC 8301).")
  boolean allowWeak;

  @Mixin RecordOptions recordOptions;

  @Mixin ConfigOptions keys;

  KeygenCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    KeyAlgorithm keyAlgorithm = KeyAlgorithm.parse(algorithm);
    int rsaBits = rsaBits(keyAlgorithm);
    SigningDomain signingDomain = SigningDomain.parse(domain);
    Selector keySelector =
        selector != null
            ? Selector.parse(selector)
            : Selector.dated(YearMonth.now(context.clock()), keyAlgorithm);
    KeyDirectory directory = keys.directory(context);
    directory.requireAbsent(signingDomain, keySelector); // before a slow RSA generation
    DkimKey key =
        new DkimKeyGenerator(context.random())
            .generate(signingDomain, keySelector, keyAlgorithm, rsaBits);
    TxtRecord record = key.txtRecord(recordOptions.ttl());
    Path keyFile = directory.store(key, record);
    PrintWriter out = spec.commandLine().getOut();
    if (recordOptions.json) {
      RecordPrinter.printJson(out, key, record, keyFile.toString());
    } else {
      out.println("Wrote " + key.describe() + " key " + keySelector + " for " + signingDomain);
      out.println("  private key: " + keyFile + " (mode 0600: keep it secret)");
      out.println("  record:      " + directory.recordFile(signingDomain, keySelector));
      out.println();
      RecordPrinter.print(out, key, record);
    }
    return ExitCode.OK;
  }

  private int rsaBits(KeyAlgorithm keyAlgorithm) {
    if (keyAlgorithm != KeyAlgorithm.RSA) {
      if (bits != null) {
        throw new UserError("--bits applies to RSA keys only; Ed25519 keys have a fixed size");
      }
      return 0;
    }
    int wanted = bits == null ? RsaKeySize.DEFAULT_BITS : bits;
    RsaKeySize.checkForGeneration(wanted, allowWeak)
        .ifPresent(spec.commandLine().getErr()::println);
    return wanted;
  }
}
