package org.dkimrelay.relay.reports;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reports added up per From: domain: volume by source, aligned-pass shares, results per DKIM
 * selector, dispositions, reporters, and the daily DMARC-pass share. A report counted twice (the
 * same reporter and report id, as when a report is both in a Maildir and saved as a file) counts
 * once.
 */
public final class ReportSummary {

  /** One source address of one domain. */
  public static final class Source {
    final String ip;
    long messages;
    long dkimAligned;
    long spfAligned;
    long pass;
    final Map<String, Long> dispositions = new TreeMap<>();

    Source(String ip) {
      this.ip = ip;
    }

    public String ip() {
      return ip;
    }

    public long messages() {
      return messages;
    }

    public long dkimAligned() {
      return dkimAligned;
    }

    public long spfAligned() {
      return spfAligned;
    }

    /** DMARC pass: DKIM or SPF aligned. */
    public long pass() {
      return pass;
    }

    public Map<String, Long> dispositions() {
      return dispositions;
    }
  }

  /** One selector's DKIM results for the domain's own signatures. */
  public static final class Selector {
    final String name;
    long messages;
    long pass;

    Selector(String name) {
      this.name = name;
    }

    public String name() {
      return name;
    }

    public long messages() {
      return messages;
    }

    public long pass() {
      return pass;
    }
  }

  /** Everything reported about one From: domain. */
  public static final class Domain {
    final String name;
    final Map<String, Source> sources = new TreeMap<>();
    final Map<String, Selector> selectors = new TreeMap<>();
    final Map<String, Long> reporters = new TreeMap<>();
    final Map<LocalDate, long[]> daily = new TreeMap<>(); // messages, pass
    Instant begin = Instant.MAX;
    Instant end = Instant.MIN;
    AggregateReport.Policy policy;
    Instant policySeen = Instant.MIN;

    Domain(String name) {
      this.name = name;
    }

    public String name() {
      return name;
    }

    public long messages() {
      return sources.values().stream().mapToLong(s -> s.messages).sum();
    }

    public long pass() {
      return sources.values().stream().mapToLong(s -> s.pass).sum();
    }

    public long dkimAligned() {
      return sources.values().stream().mapToLong(s -> s.dkimAligned).sum();
    }

    public long spfAligned() {
      return sources.values().stream().mapToLong(s -> s.spfAligned).sum();
    }

    /** Sources by volume, largest first. */
    public List<Source> sources() {
      return sources.values().stream()
          .sorted(Comparator.comparingLong((Source s) -> -s.messages).thenComparing(s -> s.ip))
          .toList();
    }

    public List<Selector> selectors() {
      return List.copyOf(selectors.values());
    }

    public Map<String, Long> reporters() {
      return reporters;
    }

    /** Day (UTC, of each report's begin) to [messages, DMARC pass]. */
    public Map<LocalDate, long[]> daily() {
      return daily;
    }

    public Instant begin() {
      return begin;
    }

    public Instant end() {
      return end;
    }

    /** Whole days the reports cover, first begin to last end. */
    public long days() {
      return Math.max(1, Math.round((end.getEpochSecond() - begin.getEpochSecond()) / 86400.0));
    }

    /** The policy of the newest report: what is published now, as far as receivers saw it. */
    public AggregateReport.Policy policy() {
      return policy;
    }
  }

  private final Map<String, Domain> domains = new TreeMap<>();
  private final Set<String> seen = new HashSet<>();
  private int duplicates;

  /** Adds {@code report}; false when it was counted already. */
  public boolean add(AggregateReport report) {
    if (!seen.add(report.reporter() + "\u0000" + report.reportId())) {
      duplicates++;
      return false;
    }
    for (AggregateReport.Row row : report.rows()) {
      Domain domain = domains.computeIfAbsent(row.headerFrom(), Domain::new);
      if (domain.begin.isAfter(report.begin())) {
        domain.begin = report.begin();
      }
      if (domain.end.isBefore(report.end())) {
        domain.end = report.end();
      }
      if (!report.end().isBefore(domain.policySeen)) {
        domain.policy = report.policy();
        domain.policySeen = report.end();
      }
      Source source = domain.sources.computeIfAbsent(row.sourceIp(), Source::new);
      source.messages += row.count();
      source.dkimAligned += row.dkimAligned() ? row.count() : 0;
      source.spfAligned += row.spfAligned() ? row.count() : 0;
      source.pass += row.dmarcPass() ? row.count() : 0;
      source.dispositions.merge(row.disposition(), row.count(), Long::sum);
      domain.reporters.merge(report.reporter(), row.count(), Long::sum);
      long[] day =
          domain.daily.computeIfAbsent(
              LocalDate.ofInstant(report.begin(), ZoneOffset.UTC), d -> new long[2]);
      day[0] += row.count();
      day[1] += row.dmarcPass() ? row.count() : 0;
      for (AggregateReport.DkimResult dkim : row.dkim()) {
        // the domain's own signatures (relaxed alignment: the domain or a parent of it)
        if (dkim.domain().equals(row.headerFrom())
            || row.headerFrom().endsWith("." + dkim.domain())) {
          Selector selector = domain.selectors.computeIfAbsent(dkim.selector(), Selector::new);
          selector.messages += row.count();
          selector.pass += dkim.result().equals("pass") ? row.count() : 0;
        }
      }
    }
    return true;
  }

  public List<Domain> domains() {
    return new ArrayList<>(domains.values());
  }

  /** Reports left out because they were counted already. */
  public int duplicates() {
    return duplicates;
  }
}
