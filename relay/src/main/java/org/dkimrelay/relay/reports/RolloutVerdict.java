package org.dkimrelay.relay.reports;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.dnscheck.DmarcRecord;

/**
 * Whether a domain's DMARC policy may move to its next stage (none, quarantine, reject; RFC 9989),
 * from what the reports show: only when they cover long enough, enough mail, and a large enough
 * share of it passes DMARC aligned. Otherwise what blocks it, and which sources to fix.
 *
 * @param advance the next stage may be published
 * @param reason one line on why, or why not
 * @param record the TXT value to publish at {@code _dmarc.DOMAIN} when advancing
 * @param toFix the sources that fail, largest first, when they are what blocks
 */
public record RolloutVerdict(
    boolean advance, String reason, Optional<String> record, List<String> toFix) {

  /**
   * What must hold before the next stage.
   *
   * @param days whole days of reports: two weeks see every weekly sender (newsletters, billing
   *     runs) twice before its mail is put at risk
   * @param share DMARC-pass share, percent: forwarding and mailing lists break alignment for a
   *     little legitimate mail, so not 100; under 98 something of yours is still unsigned
   * @param messages reported messages: fewer say little
   */
  public record Thresholds(int days, double share, long messages) {
    public static final Thresholds DEFAULT = new Thresholds(14, 98.0, 100);
  }

  public static RolloutVerdict of(ReportSummary.Domain domain, Thresholds thresholds) {
    AggregateReport.Policy policy = domain.policy();
    if (policy.p().equals("reject") && policy.testing().filter("y"::equals).isEmpty()) {
      return new RolloutVerdict(
          false, "p=reject: the last stage is published", Optional.empty(), List.of());
    }
    double share = share(domain.pass(), domain.messages());
    if (domain.days() < thresholds.days()) {
      return new RolloutVerdict(
          false,
          "wait: the reports cover "
              + domain.days()
              + " day(s); the next stage needs "
              + thresholds.days()
              + " (--min-days)",
          Optional.empty(),
          List.of());
    }
    if (domain.messages() < thresholds.messages()) {
      return new RolloutVerdict(
          false,
          "wait: "
              + domain.messages()
              + " message(s) reported; the next stage needs "
              + thresholds.messages()
              + " (--min-messages)",
          Optional.empty(),
          List.of());
    }
    if (share < thresholds.share()) {
      return new RolloutVerdict(
          false,
          "not yet: "
              + percent(share)
              + " of the mail passes DMARC aligned; the next stage needs "
              + percent(thresholds.share())
              + " (--min-pass). Fix these sources first:",
          Optional.empty(),
          failing(domain));
    }
    Optional<String> next;
    try {
      next = DmarcRecord.parse(policy.asRecord()).nextStage().map(Object::toString);
    } catch (KeyToolException e) {
      next = Optional.empty();
    }
    if (next.isEmpty()) {
      return new RolloutVerdict(
          false, "p=" + policy.p() + ": no next stage to propose", Optional.empty(), List.of());
    }
    return new RolloutVerdict(
        true,
        percent(share)
            + " of "
            + domain.messages()
            + " messages over "
            + domain.days()
            + " days pass DMARC aligned: publish the next stage (keep your rua= and ruf= tags,"
            + " which reports do not show)",
        next,
        List.of());
  }

  /** Sources whose mail mostly fails, largest first (the five that matter most). */
  private static List<String> failing(ReportSummary.Domain domain) {
    List<String> lines = new ArrayList<>();
    for (ReportSummary.Source source : domain.sources()) {
      if (share(source.pass(), source.messages()) >= 50 || lines.size() == 5) {
        continue;
      }
      String what =
          source.dkimAligned() == 0 && source.spfAligned() == 0
              ? "neither in SPF nor DKIM-aligned: a sender you forgot, or someone else"
              : "DKIM aligned "
                  + percent(share(source.dkimAligned(), source.messages()))
                  + ", SPF aligned "
                  + percent(share(source.spfAligned(), source.messages()));
      lines.add(source.ip() + " (" + source.messages() + " messages): " + what);
    }
    return lines;
  }

  static double share(long part, long whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }

  static String percent(double share) {
    return String.format(Locale.ROOT, share == Math.rint(share) ? "%.0f %%" : "%.1f %%", share);
  }
}
