package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DnsNames;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.keys.dnscheck.DomainCheck;
import org.dkimrelay.keys.dnscheck.Finding;
import org.dkimrelay.relay.dns.DnsResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "check",
    description = {
      "Check the domain's published DNS records (DKIM, SPF, DMARC, MX, PTR).",
      "Looks up DKIM for every local key; says per record pass/warn/fail and exactly what to",
      "publish. Exit 1 on any fail."
    },
    mixinStandardHelpOptions = true)
final class CheckCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "DOMAIN", description = "The mail domain: the domain in From:.")
  String domain;

  @Mixin ResolverOption resolver;

  @Option(
      names = "--ip",
      paramLabel = "SENDING_IP",
      description = "The address mail leaves from (default: the first MX host's address).")
  String ip;

  @Option(
      names = "--helo",
      paramLabel = "NAME",
      description = "The name the mail host gives in HELO (default: the first MX host).")
  String helo;

  @Option(names = "--json", description = "Print the findings as JSON.")
  boolean json;

  @Mixin ConfigOptions options;

  CheckCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    SigningDomain signingDomain = SigningDomain.parse(domain);
    KeyDirectory directory = options.directory(context);
    List<DkimKey> keys = new ArrayList<>();
    for (KeyDirectory.Entry entry : directory.list()) {
      if (entry.domain().equals(signingDomain)) {
        keys.add(directory.load(entry.domain(), entry.selector()));
      }
    }
    DnsResolver dns = resolver.dns(options.config(context));
    // A server that does not answer at all would cost a timeout per record, each line saying the
    // same: one question first, and one line naming the server.
    List<Finding> findings =
        dns.silence(signingDomain.name())
            .map(
                silence ->
                    List.of(
                        new Finding(
                            Finding.Status.FAIL,
                            "DNS",
                            "-",
                            silence + ": nothing was checked",
                            List.of("give --resolver a DNS server that answers"))))
            .orElseGet(() -> check(dns, signingDomain, keys));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(RecordPrinter.toJson(findings.stream().map(CheckCommand::asMap).toList()));
    } else {
      print(out, findings);
    }
    boolean failed = findings.stream().anyMatch(f -> f.status() == Finding.Status.FAIL);
    return failed ? ExitCode.FAILED : ExitCode.OK;
  }

  private List<Finding> check(DnsResolver dns, SigningDomain signingDomain, List<DkimKey> keys) {
    return new DomainCheck(dns)
        .check(
            new DomainCheck.Inputs(
                signingDomain,
                keys,
                Optional.ofNullable(ip).map(CheckCommand::address),
                Optional.ofNullable(helo).map(name -> DnsNames.toAscii(name, "HELO name"))));
  }

  private static void print(PrintWriter out, List<Finding> findings) {
    int width = findings.stream().mapToInt(f -> f.name().length()).max().orElse(10);
    for (Finding finding : findings) {
      out.printf(
          "%-4s  %-5s  %-" + width + "s  %s%n",
          finding.status().word(),
          finding.kind(),
          finding.name(),
          finding.found());
      for (String fix : finding.fix()) {
        out.println("      fix: " + fix);
      }
    }
  }

  private static Map<String, Object> asMap(Finding finding) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("status", finding.status().word());
    map.put("record", finding.kind());
    map.put("name", finding.name());
    map.put("found", finding.found());
    map.put("fix", finding.fix());
    return map;
  }

  private static InetAddress address(String text) {
    return text.contains(":") ? MailDnsPlan.parseIpv6(text) : MailDnsPlan.parseIpv4(text);
  }
}
