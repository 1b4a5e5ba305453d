package org.dkimrelay.relay.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.dkimrelay.relay.dkim.DkimVerifier;
import org.dkimrelay.relay.dkim.HeaderBlock;
import org.dkimrelay.relay.dkim.KeyRecordSource;
import org.dkimrelay.relay.dkim.MalformedMessageException;
import org.dkimrelay.relay.spool.SpooledMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "verify",
    description = {
      "Verify every DKIM-Signature of the message on standard input.",
      "One line each: pass|fail|temperror d= s= a= reason. Exit 0 only if there is one and all",
      "pass."
    },
    mixinStandardHelpOptions = true)
final class VerifyCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Mixin ResolverOption resolver;

  @Option(
      names = "--record",
      paramLabel = "NAME=VALUE",
      description =
          "A key record given offline, such as s1._domainkey.example.com='v=DKIM1; ...'; no DNS is asked.")
  List<String> records;

  @Mixin ConfigOptions options;

  VerifyCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException {
    KeyRecordSource source =
        records != null ? offline(records) : resolver.dns(options.config(context));
    // verified as received: no line is broken (0)
    try (SpooledMessage message = MessageInput.read(context, OutputStream.nullOutputStream(), 0);
        InputStream body = message.openBody()) {
      HeaderBlock headers;
      try {
        headers = HeaderBlock.parse(message.header());
      } catch (MalformedMessageException e) {
        throw new UserError("cannot parse the header: " + e.getMessage());
      }
      List<DkimVerifier.Result> results =
          new DkimVerifier(source, context.clock()).verify(headers, body);
      PrintWriter out = spec.commandLine().getOut();
      if (results.isEmpty()) {
        out.println("none: the message has no DKIM-Signature");
        return ExitCode.FAILED;
      }
      results.forEach(result -> out.println(result.line()));
      boolean allPass = results.stream().allMatch(r -> r.status() == DkimVerifier.Status.PASS);
      return allPass ? ExitCode.OK : ExitCode.FAILED;
    }
  }

  private static KeyRecordSource offline(List<String> given) {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String record : given) {
      int equals = record.indexOf('=');
      if (equals <= 0) {
        throw new UserError("--record needs NAME=VALUE, got '" + record + "'");
      }
      byName.put(normalise(record.substring(0, equals)), record.substring(equals + 1));
    }
    return name -> {
      String value = byName.get(normalise(name));
      return value == null ? List.of() : List.of(value);
    };
  }

  private static String normalise(String name) {
    String lower = name.trim().toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }
}
