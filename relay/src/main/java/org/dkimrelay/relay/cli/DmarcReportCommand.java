package org.dkimrelay.relay.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.dnscheck.DnsQuery;
import org.dkimrelay.relay.reports.AggregateReport;
import org.dkimrelay.relay.reports.DailyChart;
import org.dkimrelay.relay.reports.ReportFiles;
import org.dkimrelay.relay.reports.ReportSummary;
import org.dkimrelay.relay.reports.RolloutVerdict;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "dmarc-report",
    description = {
      "Read DMARC aggregate reports and say whether the policy may move to its next stage.",
      "Reads RFC 9990 and RFC 7489 reports as .xml, .xml.gz, .zip, and inside messages",
      "(.eml, an mbox, a Maildir), from files, directories or standard input. Per domain:",
      "volume by source, aligned-pass shares, results per DKIM selector, dispositions,",
      "reporters; then the next DMARC stage to publish, or what blocks it."
    },
    mixinStandardHelpOptions = true)
final class DmarcReportCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Parameters(
      arity = "0..*",
      paramLabel = "PATH",
      description = "Report files, archives, messages or directories (none or -: standard input).")
  List<String> paths = new ArrayList<>();

  @Option(names = "--json", description = "Print the figures and verdicts as JSON, for scripts.")
  boolean json;

  @Option(
      names = "--svg",
      paramLabel = "FILE",
      description = "Also draw the daily aligned-pass share per domain as an SVG chart.")
  Path svg;

  @Option(
      names = "--min-days",
      paramLabel = "N",
      description =
          "Days of reports before the next stage (default: 14: weekly senders seen twice).")
  int minDays = RolloutVerdict.Thresholds.DEFAULT.days();

  @Option(
      names = "--min-pass",
      paramLabel = "PERCENT",
      description =
          "Share of mail that must pass DMARC aligned (default: 98: forwarding and lists break a"
              + " little of it).")
  double minPass = RolloutVerdict.Thresholds.DEFAULT.share();

  @Option(
      names = "--min-messages",
      paramLabel = "N",
      description = "Reported messages before the next stage (default: 100).")
  long minMessages = RolloutVerdict.Thresholds.DEFAULT.messages();

  @Option(
      names = "--reverse",
      description =
          "Name each source by its reverse DNS (PTR), asked of --resolver or the config's"
              + " dns.resolver.")
  boolean reverse;

  @Mixin ResolverOption resolver;

  @Mixin ConfigOptions options;

  /** Domain to the selectors of its keys in the keys directory, once listed. */
  private Map<String, Set<String>> installed;

  /** Source address to its PTR name, when --reverse asked for them. */
  private final Map<String, String> names = new HashMap<>();

  DmarcReportCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException {
    if (minDays < 1 || minMessages < 1 || minPass <= 0 || minPass > 100) {
      throw new UserError(
          "--min-days and --min-messages must be at least 1, --min-pass above 0 and at most 100");
    }
    ReportFiles files = new ReportFiles();
    if (paths.isEmpty() || paths.equals(List.of("-"))) {
      files.read("standard input", context.stdin());
    } else {
      for (String path : paths) {
        if (!Files.exists(Path.of(path))) {
          throw new UserError("no such file or directory: " + path);
        }
        files.read(Path.of(path));
      }
    }
    ReportSummary summary = new ReportSummary();
    List<ReportFiles.Skipped> skipped = new ArrayList<>(files.skipped());
    int reports = 0;
    for (ReportFiles.Document document : files.documents()) {
      try {
        reports += summary.add(AggregateReport.parse(document.xml())) ? 1 : 0;
      } catch (AggregateReport.Unreadable e) {
        skipped.add(new ReportFiles.Skipped(document.source(), e.getMessage()));
      }
    }
    RolloutVerdict.Thresholds thresholds =
        new RolloutVerdict.Thresholds(minDays, minPass, minMessages);
    if (reverse) {
      lookUpNames(summary);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(json(summary, thresholds, skipped, reports));
    } else {
      text(out, summary, thresholds, skipped, reports);
    }
    if (svg != null) {
      Files.writeString(svg, DailyChart.svg(summary.domains(), minPass), StandardCharsets.UTF_8);
      if (!json) {
        out.println("chart: " + svg);
      }
    }
    if (reports == 0) {
      throw new UserError(
          "no report could be read" + (skipped.isEmpty() ? "" : " (see skipped above)"));
    }
    return ExitCode.OK;
  }

  private void text(
      PrintWriter out,
      ReportSummary summary,
      RolloutVerdict.Thresholds thresholds,
      List<ReportFiles.Skipped> skipped,
      int reports) {
    out.println(
        reports
            + " report(s)"
            + (summary.duplicates() > 0
                ? ", " + summary.duplicates() + " duplicate(s) counted once"
                : "")
            + (skipped.isEmpty() ? "" : ", " + skipped.size() + " skipped"));
    for (ReportSummary.Domain domain : summary.domains()) {
      out.println();
      out.printf(
          "%s  %s to %s (%d days), %d messages; reporters: %s%n",
          domain.name(),
          day(domain.begin()),
          day(domain.end()),
          domain.days(),
          domain.messages(),
          counts(domain.reporters()));
      out.printf(
          "  DMARC pass (DKIM or SPF aligned): %s   DKIM aligned: %s   SPF aligned: %s   policy: %s%n",
          share(domain.pass(), domain.messages()),
          share(domain.dkimAligned(), domain.messages()),
          share(domain.spfAligned(), domain.messages()),
          domain.policy().asRecord());
      Set<String> ours = ourSelectors(domain.name());
      for (ReportSummary.Selector selector : domain.selectors()) {
        out.printf(
            "  selector %s: %s pass of %d messages%s%n",
            selector.name(),
            share(selector.pass(), selector.messages()),
            selector.messages(),
            ours.contains(selector.name()) ? " (this installation's key)" : "");
      }
      for (String selector : ours) {
        if (domain.selectors().stream().noneMatch(s -> s.name().equals(selector))) {
          out.println("  selector " + selector + ": no report mentions it");
        }
      }
      out.println("  sources:");
      for (ReportSummary.Source source : domain.sources()) {
        out.printf(
            "    %-39s %7d  pass %-7s DKIM %-7s SPF %-7s %s%s%n",
            source.ip()
                + (names.containsKey(source.ip()) ? " (" + names.get(source.ip()) + ")" : ""),
            source.messages(),
            share(source.pass(), source.messages()),
            share(source.dkimAligned(), source.messages()),
            share(source.spfAligned(), source.messages()),
            counts(source.dispositions()),
            source.pass() == 0 ? "  neither in SPF nor DKIM-aligned" : "");
      }
      RolloutVerdict verdict = RolloutVerdict.of(domain, thresholds);
      out.println("  verdict: " + verdict.reason());
      verdict
          .record()
          .ifPresent(
              record ->
                  out.println(
                      "    publish: _dmarc." + domain.name() + ". 3600 IN TXT \"" + record + "\""));
      verdict.toFix().forEach(line -> out.println("    " + line));
    }
    if (!skipped.isEmpty()) {
      out.println();
      out.println("Skipped (not counted):");
      skipped.forEach(s -> out.println("  " + s.source() + ": " + s.why()));
    }
  }

  private String json(
      ReportSummary summary,
      RolloutVerdict.Thresholds thresholds,
      List<ReportFiles.Skipped> skipped,
      int reports)
      throws IOException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("reports", reports);
    root.put("duplicates", summary.duplicates());
    ArrayNode domains = root.putArray("domains");
    for (ReportSummary.Domain domain : summary.domains()) {
      ObjectNode node = domains.addObject();
      node.put("domain", domain.name());
      node.put("begin", day(domain.begin()));
      node.put("end", day(domain.end()));
      node.put("days", domain.days());
      node.put("messages", domain.messages());
      node.put("pass", domain.pass());
      node.put("dkimAligned", domain.dkimAligned());
      node.put("spfAligned", domain.spfAligned());
      node.put("policy", domain.policy().asRecord());
      domain.reporters().forEach(node.putObject("reporters")::put);
      ObjectNode selectors = node.putObject("selectors");
      Set<String> ours = ourSelectors(domain.name());
      for (ReportSummary.Selector selector : domain.selectors()) {
        ObjectNode s = selectors.putObject(selector.name());
        s.put("messages", selector.messages());
        s.put("pass", selector.pass());
        s.put("ours", ours.contains(selector.name()));
      }
      ArrayNode sources = node.putArray("sources");
      for (ReportSummary.Source source : domain.sources()) {
        ObjectNode s = sources.addObject();
        s.put("ip", source.ip());
        if (names.containsKey(source.ip())) {
          s.put("name", names.get(source.ip()));
        }
        s.put("messages", source.messages());
        s.put("pass", source.pass());
        s.put("dkimAligned", source.dkimAligned());
        s.put("spfAligned", source.spfAligned());
        source.dispositions().forEach(s.putObject("dispositions")::put);
      }
      ObjectNode daily = node.putObject("daily");
      domain
          .daily()
          .forEach(
              (date, counts) -> {
                ObjectNode d = daily.putObject(date.toString());
                d.put("messages", counts[0]);
                d.put("pass", counts[1]);
              });
      RolloutVerdict verdict = RolloutVerdict.of(domain, thresholds);
      ObjectNode v = node.putObject("verdict");
      v.put("advance", verdict.advance());
      v.put("reason", verdict.reason());
      verdict.record().ifPresent(record -> v.put("record", record));
      verdict.toFix().forEach(v.putArray("fix")::add);
    }
    ArrayNode skippedNode = root.putArray("skipped");
    for (ReportFiles.Skipped s : skipped) {
      skippedNode.addObject().put("source", s.source()).put("why", s.why());
    }
    return mapper.writeValueAsString(root);
  }

  /**
   * Each source's PTR name, once per address; an address without one, or whose lookup fails, is
   * shown bare (the figures do not depend on names).
   */
  private void lookUpNames(ReportSummary summary) {
    DnsQuery dns = resolver.dns(options.config(context));
    for (ReportSummary.Domain domain : summary.domains()) {
      for (ReportSummary.Source source : domain.sources()) {
        if (names.containsKey(source.ip())) {
          continue;
        }
        Optional<InetAddress> address = Cidr.literal(source.ip());
        if (address.isEmpty()) {
          continue;
        }
        try {
          dns.ptr(address.get()).stream()
              .findFirst()
              .ifPresent(name -> names.put(source.ip(), name.replaceAll("\\.$", "")));
        } catch (DnsQuery.DnsFailure e) {
          // shown bare: a name is a convenience, not a figure
        }
      }
    }
  }

  /** The selectors of this installation's keys for {@code domain}, when there are keys. */
  private Set<String> ourSelectors(String domain) {
    if (installed == null) {
      installed = new HashMap<>(); // the keys directory, listed once for every domain
      try {
        for (KeyDirectory.Entry entry : options.directory(context).list()) {
          installed
              .computeIfAbsent(entry.domain().name(), d -> new TreeSet<>())
              .add(entry.selector().value());
        }
      } catch (KeyToolException | UserError e) {
        // no keys directory here: the reports are read all the same
      }
    }
    return installed.getOrDefault(domain, Set.of());
  }

  private static String day(java.time.Instant instant) {
    return LocalDate.ofInstant(instant, ZoneOffset.UTC).toString();
  }

  private static String share(long part, long whole) {
    return whole == 0 ? "-" : String.format(java.util.Locale.ROOT, "%.1f %%", 100.0 * part / whole);
  }

  /** "name count, name count": reporters or dispositions with their messages. */
  private static String counts(Map<String, Long> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((name, count) -> parts.add(name + " " + count));
    return String.join(", ", parts);
  }
}
