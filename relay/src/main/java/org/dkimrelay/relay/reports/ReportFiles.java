package org.dkimrelay.relay.reports;

import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The report documents in what people keep reports in: XML files, {@code .xml.gz}, {@code .zip},
 * the messages they arrive as ({@code .eml}, an mbox, a Maildir), whole directories, or standard
 * input. A container is opened by what it is (its first bytes), not by its name. What cannot be
 * opened is named, never the end of the run. Every document is bounded in size, so a zip bomb costs
 * nothing.
 */
public final class ReportFiles {
  /** The largest report read (decompressed); a real one of 100,000 rows is about 50 MB. */
  static final int MAX_DOCUMENT = 64 * 1024 * 1024;

  private static final int MAX_DEPTH = 4; // a zip in a message in an mbox, and no further

  /** One report document and where it came from ({@code file}, {@code file: entry}). */
  public record Document(String source, byte[] xml) {}

  /** A part that was not a report, with why. */
  public record Skipped(String source, String why) {}

  private final List<Document> documents = new ArrayList<>();
  private final List<Skipped> skipped = new ArrayList<>();

  public List<Document> documents() {
    return documents;
  }

  public List<Skipped> skipped() {
    return skipped;
  }

  /** Reads {@code path}: a file of any kind above, or a directory (walked, Maildirs included). */
  public void read(Path path) {
    if (Files.isDirectory(path)) {
      try (Stream<Path> files = Files.walk(path)) {
        for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
          readFile(file);
        }
      } catch (IOException e) {
        skipped.add(new Skipped(path.toString(), "cannot read: " + e.getMessage()));
      }
    } else {
      readFile(path);
    }
  }

  /** Reads a report, container or message from {@code in} (standard input). */
  public void read(String source, InputStream in) {
    try {
      open(source, bounded(in), 0);
    } catch (IOException e) {
      skipped.add(new Skipped(source, "cannot read: " + e.getMessage()));
    }
  }

  private void readFile(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      open(file.toString(), bounded(in), 0);
    } catch (IOException e) {
      skipped.add(new Skipped(file.toString(), "cannot read: " + e.getMessage()));
    }
  }

  private void open(String source, byte[] bytes, int depth) {
    if (depth > MAX_DEPTH) {
      skipped.add(new Skipped(source, "nested too deep"));
      return;
    }
    try {
      if (startsWith(bytes, 0x1f, 0x8b)) {
        open(source, bounded(new GZIPInputStream(new ByteArrayInputStream(bytes))), depth + 1);
      } else if (startsWith(bytes, 'P', 'K', 3, 4)) {
        unzip(source, bytes, depth);
      } else if (looksLikeXml(bytes)) {
        documents.add(new Document(source, bytes));
      } else if (startsWith(bytes, 'F', 'r', 'o', 'm', ' ')) {
        mbox(source, bytes, depth);
      } else if (looksLikeMessage(bytes)) {
        message(source, bytes, depth);
      } else {
        skipped.add(new Skipped(source, "not a report, an archive of reports or a message"));
      }
    } catch (IOException e) {
      skipped.add(new Skipped(source, "cannot be opened: " + e.getMessage()));
    }
  }

  private void unzip(String source, byte[] bytes, int depth) throws IOException {
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
      for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
        if (!entry.isDirectory()) {
          open(source + ": " + entry.getName(), bounded(zip), depth + 1);
        }
      }
    }
  }

  /** An mbox: messages separated by lines beginning "From " (RFC 4155). */
  private void mbox(String source, byte[] bytes, int depth) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    String[] messages = text.split("(?m)^From [^\\n]*\\n");
    int number = 0;
    for (String message : messages) {
      if (message.isBlank()) {
        continue;
      }
      number++;
      message(source + ": message " + number, message.getBytes(StandardCharsets.ISO_8859_1), depth);
    }
  }

  private void message(String source, byte[] bytes, int depth) {
    try {
      MimeMessage message =
          new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
      int before = documents.size() + skipped.size();
      parts(source, message, depth);
      if (documents.size() + skipped.size() == before) {
        skipped.add(new Skipped(source, "a message without a report attached"));
      }
    } catch (MessagingException | IOException e) {
      skipped.add(new Skipped(source, "not a readable message: " + e.getMessage()));
    }
  }

  private void parts(String source, Part part, int depth) throws MessagingException, IOException {
    if (part.isMimeType("multipart/*")) {
      Multipart multipart = (Multipart) part.getContent();
      for (int i = 0; i < multipart.getCount(); i++) {
        parts(source, multipart.getBodyPart(i), depth);
      }
      return;
    }
    String name = part.getFileName() == null ? "" : part.getFileName().toLowerCase(Locale.ROOT);
    String type =
        part.getContentType() == null ? "" : part.getContentType().toLowerCase(Locale.ROOT);
    boolean report =
        name.endsWith(".xml")
            || name.endsWith(".gz")
            || name.endsWith(".zip")
            || type.contains("zip")
            || type.contains("gzip")
            || type.contains("xml");
    if (report) {
      String label = source + ": " + (name.isEmpty() ? "attachment" : part.getFileName());
      try (InputStream in = part.getInputStream()) { // transfer encoding undone
        open(label, bounded(in), depth + 1);
      }
    }
  }

  private static byte[] bounded(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[64 * 1024];
    for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
      if (out.size() + read > MAX_DOCUMENT) {
        throw new IOException("larger than " + MAX_DOCUMENT / (1024 * 1024) + " MB");
      }
      out.write(buffer, 0, read);
    }
    return out.toByteArray();
  }

  private static boolean startsWith(byte[] bytes, int... prefix) {
    if (bytes.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((bytes[i] & 0xff) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean looksLikeXml(byte[] bytes) {
    String start =
        new String(bytes, 0, Math.min(bytes.length, 256), StandardCharsets.ISO_8859_1)
            .stripLeading();
    if (start.startsWith("\ufeff") || start.startsWith("\u00ef\u00bb\u00bf")) {
      return true; // a byte order mark before the declaration
    }
    return start.startsWith("<");
  }

  /** A header field at the start: NAME: value. */
  private static boolean looksLikeMessage(byte[] bytes) {
    String start = new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.ISO_8859_1);
    return start.matches("(?s)[!-9;-~]+:.*");
  }
}
