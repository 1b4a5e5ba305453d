package org.dkimrelay.relay.reports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateReportTest {
  private static final LocalDate DAY = LocalDate.parse("2026-12-01");

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void bothVersionsParseTheSameWay() throws Exception {
    for (boolean rfc9990 : List.of(false, true)) {
      AggregateReport report =
          AggregateReport.parse(
              bytes(
                  Reports.xml(
                      rfc9990,
                      "receiver.example",
                      "r1",
                      DAY,
                      "Example.COM",
                      "none",
                      List.of(
                          new Reports.Row("192.0.2.10", 120, true, true, "202611r"),
                          new Reports.Row("198.51.100.7", 3, false, false, null)))));
      assertThat(report.reporter()).isEqualTo("receiver.example");
      assertThat(report.policy().domain()).isEqualTo("example.com");
      assertThat(report.policy().asRecord()).isEqualTo("v=DMARC1; p=none; adkim=r; aspf=r");
      assertThat(report.rows()).hasSize(2);
      assertThat(report.rows().get(0).dkim())
          .containsExactly(new AggregateReport.DkimResult("example.com", "202611r", "pass"));
      assertThat(report.rows().get(1).dmarcPass()).isFalse();
    }
  }

  @Test
  void whatCannotBeCountedIsSaidNotGuessed() {
    String good = Reports.xml(false, "r.example", "1", DAY, "example.com", "none", List.of());
    assertThatThrownBy(() -> AggregateReport.parse(bytes(good.replace("</feedback>", ""))))
        .isInstanceOf(AggregateReport.Unreadable.class)
        .hasMessageContaining("not a valid XML document (line");
    byte[] latin1 =
        good.replace("r.example", "r\u00e9.example").getBytes(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(() -> AggregateReport.parse(latin1))
        .isInstanceOf(AggregateReport.Unreadable.class)
        .hasMessageContaining("not a valid XML document");
    assertThatThrownBy(
            () ->
                AggregateReport.parse(
                    bytes(good.replace("<feedback>", "<feedback><version>3.0</version>"))))
        .hasMessage("unknown report version 3.0");
    assertThatThrownBy(() -> AggregateReport.parse(bytes("<html><body/></html>")))
        .hasMessageContaining("not a DMARC aggregate report");
    // no entity from a stranger's file is ever expanded (XXE)
    String entity =
        "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            + good.substring(good.indexOf("<feedback>")).replace("r.example", "&x;");
    assertThatThrownBy(() -> AggregateReport.parse(bytes(entity))).hasMessageContaining("DOCTYPE");
  }
}
