package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DnsNames;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.MailDnsPlan.PlannedRecord;
import org.dkimrelay.keys.SigningDomain;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "dns",
    description =
        "Print every DNS record a sending mail domain needs (A, MX, PTR, SPF, DKIM, DMARC).",
    mixinStandardHelpOptions = true)
final class DnsCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "DOMAIN", description = "The mail domain: the domain in From:.")
  String domain;

  @Option(
      names = "--host",
      paramLabel = "MAILHOST",
      description = "The mail server's name, as in its SMTP banner (default: mail.DOMAIN).")
  String host;

  /** At least one address: picocli says so in the usage line and when both are missing. */
  @ArgGroup(exclusive = false, multiplicity = "1", heading = "The mail server's address:%n")
  Addresses addresses;

  static final class Addresses {
    @Option(names = "--ip", paramLabel = "IPV4", description = "Its IPv4 address.")
    String ipv4;

    @Option(names = "--ipv6", paramLabel = "IPV6", description = "Its IPv6 address.")
    String ipv6;
  }

  @Option(
      names = "--rua",
      paramLabel = "ADDRESS",
      description = "Where DMARC reports go (default: dmarc-reports@DOMAIN).")
  String reportAddress;

  @Option(names = "--zone", description = "Print a zone-file snippet instead of a table.")
  boolean zone;

  @Option(
      names = "--tls-rpt",
      paramLabel = "ADDRESS",
      description = "Also the TLS-RPT record (RFC 8460): where senders report TLS failures.")
  String tlsReports;

  @Option(
      names = "--mta-sts",
      paramLabel = "MODE",
      description =
          "Also MTA-STS (RFC 8461), testing or enforce: its record and the policy file to serve"
              + " at https://mta-sts.DOMAIN/.well-known/mta-sts.txt.")
  String mtaStsMode;

  @Mixin ConfigOptions keys;

  DnsCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() {
    SigningDomain signingDomain = SigningDomain.parse(domain);
    KeyDirectory directory = keys.directory(context);
    List<DkimKey> domainKeys = new ArrayList<>();
    for (KeyDirectory.Entry entry : directory.list()) {
      if (entry.domain().equals(signingDomain)) {
        domainKeys.add(directory.load(entry.domain(), entry.selector()));
      }
    }
    String rua = reportAddress != null ? reportAddress : "dmarc-reports@" + signingDomain;
    MailDnsPlan.Inputs inputs =
        new MailDnsPlan.Inputs(
            signingDomain,
            host != null ? DnsNames.toAscii(host, "host name") : "mail." + signingDomain,
            Optional.ofNullable(addresses.ipv4).map(MailDnsPlan::parseIpv4),
            Optional.ofNullable(addresses.ipv6).map(MailDnsPlan::parseIpv6),
            domainKeys,
            rua);
    MailDnsPlan.MtaStsMode mtaSts =
        mtaStsMode == null ? null : MailDnsPlan.MtaStsMode.parse(mtaStsMode);
    List<PlannedRecord> records = new ArrayList<>(MailDnsPlan.records(inputs));
    // the policy's id: its date and time, new for each version of the policy file
    String stsId =
        DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
            .withZone(ZoneOffset.UTC)
            .format(context.clock().instant());
    records.addAll(
        MailDnsPlan.tlsRecords(
            signingDomain,
            Optional.ofNullable(tlsReports),
            Optional.ofNullable(mtaSts).map(mode -> stsId)));
    PrintWriter out = spec.commandLine().getOut();
    if (zone) {
      printZone(out, records);
    } else {
      printTable(out, records);
    }
    if (domainKeys.isEmpty()) {
      spec.commandLine()
          .getErr()
          .println(
              "warning: no DKIM key for "
                  + signingDomain
                  + " in "
                  + directory.root()
                  + ": run 'dkimrelay keygen --keys "
                  + directory.root()
                  + " "
                  + signingDomain
                  + "' and then this command again");
    }
    printRollout(out, MailDnsPlan.dmarcStages(rua), zone ? "; " : "");
    if (mtaSts != null) {
      String prefix = zone ? "; " : "";
      out.println();
      out.println(
          prefix
              + "MTA-STS policy: serve this at https://mta-sts."
              + signingDomain
              + "/.well-known/mta-sts.txt (a certificate valid for that name),");
      out.println(prefix + "start with testing; enforce once TLS reports show no failures:");
      MailDnsPlan.mtaStsPolicy(mtaSts, inputs.mailHost())
          .lines()
          .forEach(line -> out.println(prefix + "  " + line));
    }
    return ExitCode.OK;
  }

  private static void printTable(PrintWriter out, List<PlannedRecord> records) {
    int width = records.stream().mapToInt(record -> record.name().length()).max().orElse(4);
    String row = "%-" + width + "s  %-5s %-5s %s%n";
    out.printf(row, "HOST", "TYPE", "TTL", "VALUE");
    for (PlannedRecord record : records) {
      out.printf(row, record.name(), record.type(), record.ttl(), record.value());
      out.println("    why: " + record.why());
    }
    // A zone file takes at most 255 bytes per quoted string (RFC 1035 §3.3): BIND refuses the
    // one-line value of an RSA record pasted as one string.
    out.println();
    out.println(
        "VALUE is the one-line form for a web DNS panel. For a zone file (BIND, NSD) use --zone:");
    out.println("it splits long TXT values into quoted strings of at most 255 bytes.");
  }

  private static void printZone(PrintWriter out, List<PlannedRecord> records) {
    for (PlannedRecord record : records) {
      out.println("; " + record.why());
      out.println((record.inOwnZone() ? "" : "; at your IP provider: ") + record.zoneLine());
    }
  }

  private static void printRollout(PrintWriter out, List<String> stages, String prefix) {
    out.println();
    out.println(prefix + "DMARC rollout: when the reports show all your mail passing, replace");
    out.println(prefix + "the _dmarc record with the next stage, a few weeks apart:");
    for (int stage = 1; stage < stages.size(); stage++) {
      out.println(prefix + "  stage " + (stage + 1) + ": " + stages.get(stage));
    }
    out.println(
        prefix + "np=reject: names under the domain that do not exist send no mail (RFC 9989).");
    out.println(prefix + "To try a stage first, add t=y (testing: receivers apply one step less);");
    out.println(
        prefix + "not every receiver honours t=y yet. pct= is gone (RFC 9989): never use it.");
    out.println(
        prefix
            + "adkim/aspf: relaxed (the default) lets a signature or SPF domain of example.com"
            + " align for news.example.com;");
    out.println(
        prefix
            + "adkim=s/aspf=s only for the exact domain, for when a subdomain is someone else's.");
  }
}
