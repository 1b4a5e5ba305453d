package org.dkimrelay.relay.reports;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.activation.DataHandler;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Properties;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports out of every container they arrive in, each counted once. */
class ReportFilesTest {
  @TempDir Path dir;

  private static byte[] report(String id) {
    return Reports.xml(
            id.endsWith("9990"),
            "receiver.example",
            id,
            LocalDate.parse("2026-12-01"),
            "example.com",
            "none",
            List.of(new Reports.Row("192.0.2.10", 7, true, true, "202611r")))
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(bytes);
    }
    return out.toByteArray();
  }

  static byte[] zip(String... namesAndIds) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (String id : namesAndIds) {
        zip.putNextEntry(new ZipEntry(id + ".xml"));
        zip.write(report(id));
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }

  /** A report message as receivers send it: text, and the report attached (base64). */
  static byte[] message(byte[] attachment, String name, String type) throws Exception {
    MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
    message.setFrom("noreply-dmarc@receiver.example");
    message.setSubject("Report Domain: example.com Submitter: receiver.example");
    MimeBodyPart text = new MimeBodyPart();
    text.setText("This is an aggregate report from receiver.example.");
    MimeBodyPart file = new MimeBodyPart();
    file.setDataHandler(new DataHandler(new ByteArrayDataSource(attachment, type)));
    file.setFileName(name);
    file.setHeader("Content-Transfer-Encoding", "base64");
    message.setContent(new MimeMultipart(text, file));
    message.saveChanges();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    message.writeTo(out);
    return out.toByteArray();
  }

  @Test
  void everyContainerYieldsItsReports() throws Exception {
    Files.write(dir.resolve("plain.xml"), report("plain"));
    Files.write(dir.resolve("r.xml.gz"), gzip(report("gz-9990")));
    Files.write(dir.resolve("two.zip"), zip("zip-a", "zip-b"));
    Files.write(dir.resolve("report.eml"), message(zip("eml"), "report.zip", "application/zip"));
    byte[] first = message(gzip(report("mbox-1")), "a.xml.gz", "application/gzip");
    byte[] second = message(report("mbox-2"), "b.xml", "text/xml");
    Files.write(
        dir.resolve("reports.mbox"),
        concat(
            "From dmarc@receiver.example Sat Dec  5 10:00:00 2026\n"
                .getBytes(StandardCharsets.US_ASCII),
            first,
            "\nFrom dmarc@receiver.example Sat Dec  5 11:00:00 2026\n"
                .getBytes(StandardCharsets.US_ASCII),
            second));
    Path maildir = Files.createDirectories(dir.resolve("Maildir/new"));
    Files.createDirectories(dir.resolve("Maildir/cur"));
    Files.write(
        maildir.resolve("1733400000.M1P1.host"),
        message(zip("maildir"), "r.zip", "application/zip"));
    Files.writeString(dir.resolve("notes.txt"), "not a report\n");

    ReportFiles files = new ReportFiles();
    files.read(dir);
    ReportSummary summary = new ReportSummary();
    for (ReportFiles.Document document : files.documents()) {
      assertThat(summary.add(AggregateReport.parse(document.xml()))).as(document.source()).isTrue();
    }
    assertThat(files.documents()).hasSize(8);
    assertThat(summary.domains().get(0).messages()).isEqualTo(8 * 7);
    assertThat(files.skipped())
        .extracting(ReportFiles.Skipped::source)
        .containsExactly(dir.resolve("notes.txt").toString());

    // the same report again, read from standard input: counted once
    ReportFiles again = new ReportFiles();
    again.read("standard input", new ByteArrayInputStream(gzip(report("plain"))));
    assertThat(summary.add(AggregateReport.parse(again.documents().get(0).xml()))).isFalse();
    assertThat(summary.duplicates()).isEqualTo(1);
  }

  @Test
  void aDecompressionBombIsRefusedNotRead() throws Exception {
    Files.write(dir.resolve("bomb.xml.gz"), gzip(new byte[ReportFiles.MAX_DOCUMENT + 1]));
    ReportFiles files = new ReportFiles();
    files.read(dir.resolve("bomb.xml.gz"));
    assertThat(files.documents()).isEmpty();
    assertThat(files.skipped().get(0).why()).contains("larger than 64 MB");
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
