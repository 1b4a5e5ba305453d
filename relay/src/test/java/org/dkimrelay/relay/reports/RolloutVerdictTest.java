package org.dkimrelay.relay.reports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/** The verdict on report sets that should and should not let the policy move on. */
class RolloutVerdictTest {
  private static final LocalDate FIRST = LocalDate.parse("2026-11-15");

  /**
   * {@code days} daily reports; each day 200 messages from the host and {@code stray} from
   * elsewhere.
   */
  private static ReportSummary.Domain reports(int days, String policy, long stray)
      throws Exception {
    ReportSummary summary = new ReportSummary();
    for (int day = 0; day < days; day++) {
      List<Reports.Row> rows =
          new ArrayList<>(List.of(new Reports.Row("192.0.2.10", 200, true, true, "202611r")));
      if (stray > 0) {
        rows.add(new Reports.Row("203.0.113.50", stray, false, false, null));
      }
      summary.add(
          AggregateReport.parse(
              Reports.xml(
                      false,
                      "receiver.example",
                      "id" + day,
                      FIRST.plusDays(day),
                      "example.com",
                      policy,
                      rows)
                  .getBytes(StandardCharsets.UTF_8)));
    }
    return summary.domains().get(0);
  }

  @Test
  void twoWeeksOfCleanMailAdvanceToTheNextStage() throws Exception {
    RolloutVerdict none =
        RolloutVerdict.of(reports(14, "none", 2), RolloutVerdict.Thresholds.DEFAULT);
    assertThat(none.advance()).isTrue();
    assertThat(none.record()).contains("v=DMARC1; p=quarantine; adkim=r; aspf=r; np=reject");
    assertThat(none.reason()).startsWith("99.0 % of 2828 messages over 14 days pass DMARC aligned");

    RolloutVerdict quarantine =
        RolloutVerdict.of(reports(20, "quarantine", 0), RolloutVerdict.Thresholds.DEFAULT);
    assertThat(quarantine.record()).contains("v=DMARC1; p=reject; adkim=r; aspf=r; np=reject");
  }

  @Test
  void tooShortTooFewOrAnUnsignedSourceBlocksItAndNamesIt() throws Exception {
    RolloutVerdict week =
        RolloutVerdict.of(reports(7, "none", 0), RolloutVerdict.Thresholds.DEFAULT);
    assertThat(week.advance()).isFalse();
    assertThat(week.reason())
        .isEqualTo("wait: the reports cover 7 day(s); the next stage needs 14 (--min-days)");

    RolloutVerdict few =
        RolloutVerdict.of(reports(14, "none", 0), new RolloutVerdict.Thresholds(14, 98, 5000));
    assertThat(few.reason()).startsWith("wait: 2800 message(s) reported");

    RolloutVerdict stray =
        RolloutVerdict.of(reports(14, "none", 10), RolloutVerdict.Thresholds.DEFAULT);
    assertThat(stray.advance()).isFalse();
    assertThat(stray.reason()).startsWith("not yet: 95.2 % of the mail passes DMARC aligned");
    assertThat(stray.toFix())
        .containsExactly(
            "203.0.113.50 (140 messages): neither in SPF nor DKIM-aligned: a sender you forgot, or"
                + " someone else");

    assertThat(
            RolloutVerdict.of(reports(30, "reject", 0), RolloutVerdict.Thresholds.DEFAULT).reason())
        .isEqualTo("p=reject: the last stage is published");
  }

  @Test
  void theChartIsWellFormedSvgWithALinePerDomainAndOnePointPerDay() throws Exception {
    String svg = DailyChart.svg(List.of(reports(14, "none", 2)), 98);
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    Document document =
        factory
            .newDocumentBuilder()
            .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertThat(document.getDocumentElement().getLocalName()).isEqualTo("svg");
    assertThat(document.getElementsByTagName("polyline").getLength()).isEqualTo(1);
    String points =
        document
            .getElementsByTagName("polyline")
            .item(0)
            .getAttributes()
            .getNamedItem("points")
            .getNodeValue();
    assertThat(points.split(" ")).hasSize(14);
  }
}
