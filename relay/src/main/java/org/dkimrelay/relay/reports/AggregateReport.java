package org.dkimrelay.relay.reports;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * One aggregate report: who sent it, for which period and domain, under which published policy, and
 * a row per source with what the receiver found. RFC 7489 appendix C and RFC 9990 (version 2.0, in
 * its namespace) share these elements; elements are read by local name, so either parses.
 */
public record AggregateReport(
    String reporter, String reportId, Instant begin, Instant end, Policy policy, List<Row> rows) {

  public AggregateReport {
    rows = List.copyOf(rows);
  }

  /** policy_published: the record the receiver found when it evaluated the mail. */
  public record Policy(
      String domain,
      String p,
      Optional<String> sp,
      Optional<String> np,
      Optional<String> adkim,
      Optional<String> aspf,
      Optional<String> testing) {

    /** The record as a DMARC TXT value, for the advice built on it (its rua is not reported). */
    public String asRecord() {
      StringBuilder record = new StringBuilder("v=DMARC1; p=" + p);
      sp.ifPresent(v -> record.append("; sp=").append(v));
      np.ifPresent(v -> record.append("; np=").append(v));
      adkim.ifPresent(v -> record.append("; adkim=").append(v));
      aspf.ifPresent(v -> record.append("; aspf=").append(v));
      testing.filter(v -> v.equals("y")).ifPresent(v -> record.append("; t=y"));
      return record.toString();
    }
  }

  /** A DKIM signature the receiver checked: its d=, s= and result. */
  public record DkimResult(String domain, String selector, String result) {}

  /**
   * One row: {@code count} messages from {@code sourceIp} with From: domain {@code headerFrom};
   * {@code dkimAligned}/{@code spfAligned} are the receiver's DMARC evaluation (aligned and pass).
   */
  public record Row(
      String sourceIp,
      long count,
      String headerFrom,
      String disposition,
      boolean dkimAligned,
      boolean spfAligned,
      List<DkimResult> dkim) {
    public Row {
      dkim = List.copyOf(dkim);
    }

    public boolean dmarcPass() {
      return dkimAligned || spfAligned;
    }
  }

  /** Why a document is not a report this reader can count. */
  public static final class Unreadable extends Exception {
    private static final long serialVersionUID = 1L;

    Unreadable(String message) {
      super(message);
    }
  }

  /**
   * Parses one report document. A DOCTYPE is refused (no entity expansion from a stranger's file).
   *
   * @throws Unreadable naming what is wrong: not XML, not UTF-8, no feedback, an unknown version
   */
  public static AggregateReport parse(byte[] xml) throws Unreadable {
    Document document;
    try {
      document = builder().parse(new ByteArrayInputStream(xml));
    } catch (SAXParseException e) {
      throw new Unreadable(
          "not a valid XML document (line " + e.getLineNumber() + ": " + e.getMessage() + ")");
    } catch (SAXException | IOException e) {
      throw new Unreadable("not a valid XML document (" + e.getMessage() + ")");
    }
    Element feedback = document.getDocumentElement();
    if (!feedback.getLocalName().equals("feedback")) {
      throw new Unreadable(
          "not a DMARC aggregate report (its root is <" + feedback.getLocalName() + ">)");
    }
    Optional<String> version = text(feedback, "version");
    if (version.isPresent() && !version.get().matches("(1|2)(\\.0)?")) {
      throw new Unreadable("unknown report version " + version.get());
    }
    Element metadata = child(feedback, "report_metadata");
    Element range = child(metadata, "date_range");
    Element published = child(feedback, "policy_published");
    Policy policy =
        new Policy(
            required(published, "domain").toLowerCase(Locale.ROOT),
            required(published, "p"),
            text(published, "sp"),
            text(published, "np"),
            text(published, "adkim"),
            text(published, "aspf"),
            text(published, "testing").or(() -> text(published, "t")));
    List<Row> rows = new ArrayList<>();
    for (Element record : children(feedback, "record")) {
      rows.add(row(record));
    }
    // some reporters leave org_name empty: their address still says who they are
    String reporter =
        text(metadata, "org_name").or(() -> text(metadata, "email")).orElse("(unnamed reporter)");
    return new AggregateReport(
        reporter,
        required(metadata, "report_id"),
        Instant.ofEpochSecond(number(required(range, "begin"), "begin")),
        Instant.ofEpochSecond(number(required(range, "end"), "end")),
        policy,
        rows);
  }

  private static Row row(Element record) throws Unreadable {
    Element row = child(record, "row");
    Element evaluated = child(row, "policy_evaluated");
    Element identifiers = child(record, "identifiers");
    List<DkimResult> dkim = new ArrayList<>();
    Optional<Element> auth = optionalChild(record, "auth_results");
    if (auth.isPresent()) {
      for (Element signature : children(auth.get(), "dkim")) {
        dkim.add(
            new DkimResult(
                text(signature, "domain").orElse("").toLowerCase(Locale.ROOT),
                text(signature, "selector").orElse(""),
                text(signature, "result").orElse("")));
      }
    }
    return new Row(
        required(row, "source_ip"),
        number(required(row, "count"), "count"),
        required(identifiers, "header_from").toLowerCase(Locale.ROOT),
        text(evaluated, "disposition").orElse("none"),
        text(evaluated, "dkim").orElse("").equals("pass"),
        text(evaluated, "spf").orElse("").equals("pass"),
        dkim);
  }

  private static DocumentBuilder builder() {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setXIncludeAware(false);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      builder.setErrorHandler(
          new ErrorHandler() { // errors are thrown, not printed on stderr
            @Override
            public void warning(SAXParseException e) {}

            @Override
            public void error(SAXParseException e) throws SAXException {
              throw e;
            }

            @Override
            public void fatalError(SAXParseException e) throws SAXException {
              throw e;
            }
          });
      return builder;
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK's XML parser cannot be made safe", e);
    }
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> found = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node node = nodes.item(i);
      if (node instanceof Element element && name.equals(element.getLocalName())) {
        found.add(element);
      }
    }
    return found;
  }

  private static Optional<Element> optionalChild(Element parent, String name) {
    return children(parent, name).stream().findFirst();
  }

  private static Element child(Element parent, String name) throws Unreadable {
    return optionalChild(parent, name)
        .orElseThrow(() -> new Unreadable("no <" + name + "> in <" + parent.getLocalName() + ">"));
  }

  private static Optional<String> text(Element parent, String name) {
    return optionalChild(parent, name)
        .map(e -> e.getTextContent().strip())
        .filter(t -> !t.isEmpty());
  }

  private static String required(Element parent, String name) throws Unreadable {
    return text(parent, name)
        .orElseThrow(() -> new Unreadable("no <" + name + "> in <" + parent.getLocalName() + ">"));
  }

  private static long number(String text, String what) throws Unreadable {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new Unreadable("<" + what + "> is not a number: " + text);
    }
  }
}
