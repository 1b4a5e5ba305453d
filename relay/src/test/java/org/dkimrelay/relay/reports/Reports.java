package org.dkimrelay.relay.reports;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

/** Aggregate reports made for tests, in the shape receivers send (RFC 7489 or RFC 9990). */
public final class Reports {
  private Reports() {}

  /** One row: messages from {@code ip} with the receiver's aligned DKIM and SPF results. */
  public record Row(String ip, long count, boolean dkim, boolean spf, String selector) {}

  /**
   * A report of {@code reporter} for one day of {@code domain}; version 2.0 when {@code rfc9990}.
   */
  public static String xml(
      boolean rfc9990,
      String reporter,
      String id,
      LocalDate day,
      String domain,
      String policy,
      List<Row> rows) {
    long begin = day.atStartOfDay().toEpochSecond(ZoneOffset.UTC);
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.append(
        rfc9990
            ? "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n  <version>2.0</version>\n"
            : "<feedback>\n");
    xml.append("  <report_metadata><org_name>")
        .append(reporter)
        .append("</org_name><email>dmarc@")
        .append(reporter)
        .append("</email><report_id>")
        .append(id)
        .append("</report_id><date_range><begin>")
        .append(begin)
        .append("</begin><end>")
        .append(begin + 86399)
        .append("</end></date_range></report_metadata>\n");
    xml.append("  <policy_published><domain>")
        .append(domain)
        .append("</domain><adkim>r</adkim><aspf>r</aspf><p>")
        .append(policy)
        .append("</p></policy_published>\n");
    for (Row row : rows) {
      xml.append("  <record><row><source_ip>")
          .append(row.ip())
          .append("</source_ip><count>")
          .append(row.count())
          .append("</count><policy_evaluated><disposition>none</disposition><dkim>")
          .append(row.dkim() ? "pass" : "fail")
          .append("</dkim><spf>")
          .append(row.spf() ? "pass" : "fail")
          .append("</spf></policy_evaluated></row><identifiers><header_from>")
          .append(domain)
          .append("</header_from></identifiers><auth_results>");
      if (row.selector() != null) {
        xml.append("<dkim><domain>")
            .append(domain)
            .append("</domain><selector>")
            .append(row.selector())
            .append("</selector><result>")
            .append(row.dkim() ? "pass" : "fail")
            .append("</result></dkim>");
      }
      xml.append("<spf><domain>")
          .append(row.spf() ? domain : "elsewhere.example")
          .append("</domain><result>pass</result></spf></auth_results></record>\n");
    }
    return xml.append("</feedback>\n").toString();
  }
}
