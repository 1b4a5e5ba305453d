package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.dkimrelay.relay.reports.AggregateReport;
import org.dkimrelay.relay.reports.ReportFiles;
import org.dkimrelay.relay.reports.Reports;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.dkimrelay.relay.testing.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dmarc-report} on a month of reports from three receivers (RFC 7489 and RFC 9990 shapes),
 * its totals per source cross-checked against an independent parser from Debian, dmarc-cat.
 */
class DmarcReportIT {
  private static final LocalDate FIRST = LocalDate.parse("2026-11-10");

  @TempDir Path dir;

  @Test
  void totalsPerSourceEqualDmarcCatsAndTheVerdictNamesWhatBlocks() throws Exception {
    Path reports = Files.createDirectories(dir.resolve("reports"));
    List<Path> originals = new ArrayList<>();
    String[] reporters = {"google.com", "receiver.example", "mail.example.net"};
    for (int day = 0; day < 16; day++) {
      for (int r = 0; r < reporters.length; r++) {
        List<Reports.Row> rows = new ArrayList<>();
        rows.add(new Reports.Row("192.0.2.10", 100 + day * 3 + r, true, true, "202611r"));
        rows.add(new Reports.Row("2001:db8::25", 10 + r, true, false, "202611e"));
        if (day % 3 == 0) {
          rows.add(new Reports.Row("203.0.113.50", 7 + day, false, false, null));
        }
        if (r == 1) {
          rows.add(new Reports.Row("198.51.100.9", 2, false, true, null)); // forwarded: SPF only
        }
        LocalDate date = FIRST.plusDays(day);
        long begin = date.atStartOfDay().toEpochSecond(ZoneOffset.UTC);
        // dmarc-cat wants the file name receivers use: domain!reporter!begin!end.xml
        Path file =
            reports.resolve(
                "example.com!" + reporters[r] + "!" + begin + "!" + (begin + 86399) + ".xml");
        Files.writeString(
            file,
            Reports.xml(
                r == 1, reporters[r], reporters[r] + "-" + day, date, "example.com", "none", rows));
        originals.add(file);
      }
    }
    // a copy of one report elsewhere (counted once), a broken one and a stray file (skipped, named)
    Path again = Files.createDirectories(dir.resolve("again"));
    Files.copy(originals.get(0), again.resolve("copy.xml"));
    Files.writeString(again.resolve("broken.xml"), "<feedback><report_metadata>");
    Files.writeString(again.resolve("readme.txt"), "reports from November\n");

    CliRun run =
        CliRun.in(
            dir,
            "dmarc-report",
            reports.toString(),
            again.toString(),
            "--json",
            "--svg",
            dir.resolve("chart.svg").toString(),
            "--keys",
            dir.resolve("keys").toString());
    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertThat(json.get("reports").asInt()).isEqualTo(48);
    assertThat(json.get("duplicates").asInt()).isEqualTo(1);
    assertThat(json.get("skipped")).hasSize(2);
    JsonNode domain = json.get("domains").get(0);
    Map<String, Long> ours = new TreeMap<>();
    domain.get("sources").forEach(s -> ours.put(s.get("ip").asText(), s.get("messages").asLong()));

    Map<String, Long> dmarcCat = new TreeMap<>();
    for (Path file : originals) {
      dmarcCat(file).forEach((ip, count) -> dmarcCat.merge(ip, count, Long::sum));
    }
    assertThat(ours).isEqualTo(dmarcCat);

    // 203.0.113.50 signs nothing and is in no SPF: it keeps the policy where it is
    JsonNode verdict = domain.get("verdict");
    assertThat(verdict.get("advance").asBoolean()).isFalse();
    assertThat(verdict.get("fix").get(0).asText()).startsWith("203.0.113.50 (");
    assertThat(Files.readString(dir.resolve("chart.svg"), StandardCharsets.UTF_8))
        .startsWith("<svg")
        .contains("<polyline");

    // without that source the domain may move on, and the text says what to publish
    CliRun clean =
        CliRun.in(
            dir,
            "dmarc-report",
            reports.toString(),
            "--min-pass",
            "95",
            "--keys",
            dir.resolve("keys").toString());
    assertThat(clean.out())
        .contains("verdict: ")
        .contains(
            "publish: _dmarc.example.com. 3600 IN TXT \"v=DMARC1; p=quarantine; adkim=r; aspf=r; np=reject\"");
  }

  /**
   * parsedmarc's real-world samples (test resources, with their NOTICE): every report the reader
   * takes out of them, from XML, gzip, zip and messages alike, has the per-source totals dmarc-cat
   * reads in the same document; the broken ones are skipped and named.
   */
  @Test
  void realWorldSamplesHaveDmarcCatsTotalsAndTheBrokenOnesAreNamed() throws Exception {
    Path samples = Path.of("src", "test", "resources", "dmarc-samples");
    ReportFiles files = new ReportFiles();
    files.read(samples);
    List<String> skipped = new ArrayList<>();
    files
        .skipped()
        .forEach(
            s -> skipped.add(samples.relativize(Path.of(s.source().split(": ")[0])).toString()));
    int compared = 0;
    for (ReportFiles.Document document : files.documents()) {
      AggregateReport report;
      try {
        report = AggregateReport.parse(document.xml());
      } catch (AggregateReport.Unreadable e) {
        skipped.add(samples.relativize(Path.of(document.source().split(": ")[0])).toString());
        continue;
      }
      Map<String, Long> ours = new TreeMap<>();
      report.rows().forEach(row -> ours.merge(row.sourceIp(), row.count(), Long::sum));
      // dmarc-cat reads a report by the file name receivers give it
      Path named =
          dir.resolve(
              report.policy().domain()
                  + "!reporter!"
                  + report.begin().getEpochSecond()
                  + "!"
                  + report.end().getEpochSecond()
                  + ".xml");
      Files.write(named, document.xml());
      assertThat(dmarcCat(named)).as(document.source()).isEqualTo(ours);
      compared++;
    }
    assertThat(compared).isEqualTo(16);
    assertThat(skipped)
        .containsExactlyInAnyOrder(
            "NOTICE",
            "ikea.com!example.de!1538690400!1538776800.xml", // wrapped in an unclosed <xs:schema>
            "invalid_utf_8.xml",
            "invalid_xml.xml");
  }

  @Test
  void reverseNamesComeFromTheResolverGivenAndAMissingOneLeavesTheAddressBare() throws Exception {
    Path report = dir.resolve("report.xml");
    Files.writeString(
        report,
        Reports.xml(
            false,
            "receiver.example",
            "one",
            FIRST,
            "example.com",
            "none",
            List.of(
                new Reports.Row("192.0.2.10", 50, true, true, "202611r"),
                new Reports.Row("203.0.113.50", 5, false, false, null))));
    try (Dnsmasq dns =
        Dnsmasq.start(
            List.of(
                "local=/2.0.192.in-addr.arpa/",
                "local=/113.0.203.in-addr.arpa/",
                "ptr-record=10.2.0.192.in-addr.arpa,mail.example.com"),
            dir.resolve("dns"))) {
      CliRun run =
          CliRun.in(
              dir,
              "dmarc-report",
              report.toString(),
              "--reverse",
              "--resolver",
              dns.address(),
              "--keys",
              dir.resolve("keys").toString());
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.out())
          .contains("    192.0.2.10 (mail.example.com) ")
          .containsPattern("\\n    203\\.0\\.113\\.50 +5 ");
    }
  }

  /** dmarc-cat's rows of one report: source address to messages. */
  private static Map<String, Long> dmarcCat(Path file) {
    // -N: no reverse lookups (nothing leaves this host). -j 1: with its default of two jobs,
    // dmarc-cat 0.15 now and then prints a row's count beside another row's address.
    ExternalTool.Result cat =
        ExternalTool.run(List.of("dmarc-cat", "-N", "-j", "1", file.toString()));
    assertThat(cat.exit()).as(cat.toString()).isZero();
    Map<String, Long> rows = new TreeMap<>();
    boolean table = false;
    for (String line : cat.out().lines().toList()) {
      if (line.startsWith("IP ")) {
        table = true;
      } else if (table && !line.isBlank()) {
        String[] columns = line.trim().split("\\s+");
        rows.merge(columns[0], Long.parseLong(columns[1]), Long::sum);
      }
    }
    return rows;
  }
}
