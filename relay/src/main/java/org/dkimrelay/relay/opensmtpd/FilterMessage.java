package org.dkimrelay.relay.opensmtpd;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Consumer;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.spool.HeaderBuffer;
import org.dkimrelay.relay.spool.LongLineFolder;
import org.dkimrelay.relay.spool.SpoolStore;

/**
 * One message's data lines as smtpd hands them to the filter (no CR at their end, still
 * dot-stuffed, smtpd's own Received: first, a "." last). The lines are held until the end in a
 * spool store (memory under the budget every message shares, a private file beyond it); the
 * signature is computed over the message as OpenSMTPD will deliver it: dots un-stuffed, CRLF line
 * ends, and the Date: and Message-ID: it would append when they are missing added here first (RFC
 * 5322 §3.6.1 and §3.6.4), so that nothing OpenSMTPD adds later breaks the signature.
 */
final class FilterMessage implements Closeable {
  private static final DateTimeFormatter RFC_5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  private final MessagePipeline.Message signing;
  private final long maxSize;
  private final SpoolStore held; // the lines as they came, each ended by LF
  private final HeaderBuffer header; // the header block as it will be signed
  private boolean inBody;
  private long headerLines;
  private boolean hasDate;
  private boolean hasMessageId;
  private boolean lineCut;
  private IOException storageFailure;
  private long size;

  FilterMessage(
      MessagePipeline.Message signing, long maxSize, SpoolStore held, HeaderBuffer header) {
    this.signing = signing;
    this.maxSize = maxSize;
    this.held = held;
    this.header = header;
  }

  /** Takes one data line other than the final "."; nothing is echoed yet. */
  void line(FilterInput.Line input) {
    String line = input.text();
    size += line.length() + 2;
    lineCut |= input.cut();
    if (size > maxSize || lineCut || storageFailure != null) {
      return; // counted, not kept: refused at the end
    }
    String unstuffed = line.startsWith(".") ? line.substring(1) : line; // RFC 5321 §4.5.2
    byte[] bytes = (unstuffed + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    // a line over the limit goes on broken, as signed: no MTA after us breaks it again
    int limit = signing.lineLengthLimit();
    long kept;
    try {
      kept = hold(limit > 0 && unstuffed.length() > limit ? broken(line) : line);
    } catch (IOException e) {
      storageFailure = e;
      return;
    }
    if (inBody) {
      write(bytes);
      return;
    }
    headerLines += kept;
    if (unstuffed.isEmpty()) {
      inBody = true;
      return;
    }
    String lower = unstuffed.toLowerCase(Locale.ROOT);
    hasDate |= lower.startsWith("date:");
    hasMessageId |= lower.startsWith("message-id:");
    header.write(bytes);
  }

  /** Keeps {@code lines} (LF-separated) for the echo; returns how many lines they are. */
  private long hold(String lines) throws IOException {
    byte[] raw = (lines + "\n").getBytes(StandardCharsets.ISO_8859_1);
    held.write(raw, 0, raw.length);
    return lines.chars().filter(c -> c == '\n').count() + 1;
  }

  /**
   * A data line (still dot-stuffed) broken as {@link LongLineFolder} breaks it, as data lines
   * joined by LF; only the first can start with a dot, the others start with a space.
   */
  private String broken(String line) {
    boolean stuffed = line.startsWith(".");
    byte[] bytes = (stuffed ? line.substring(1) : line).getBytes(StandardCharsets.ISO_8859_1);
    byte[] broken = LongLineFolder.breakLines(bytes, signing.lineLengthLimit());
    return (stuffed ? "." : "")
        + new String(broken, StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
  }

  /**
   * The final ".": signs, and sends back through {@code out} the signature fields, the lines held
   * and the "." (or, for a message refused, only the "."); the verdict says what to answer at
   * commit.
   */
  Verdict end(Clock clock, String hostname, Consumer<String> out) {
    Verdict refusal = refusalBeforeSigning();
    if (refusal != null) {
      out.accept(".");
      return refusal;
    }
    List<String> added = new ArrayList<>();
    if (!hasDate) {
      added.add("Date: " + RFC_5322_DATE.format(ZonedDateTime.now(clock)));
    }
    if (!hasMessageId) {
      added.add("Message-ID: <" + UUID.randomUUID() + "@" + hostname + ">");
    }
    for (String field : added) {
      header.write((field + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
    header.write(new byte[] {'\r', '\n'});
    if (header.overflow() != HeaderBuffer.Overflow.NONE) { // kept only if all of it was
      out.accept(".");
      return signing.refuseHeaderNotKept(header);
    }
    Verdict verdict = signing.finish(header.toByteArray());
    if (verdict instanceof Verdict.Refuse) {
      out.accept(".");
      return verdict;
    }
    for (SignatureField field : ((Verdict.Send) verdict).fields()) {
      List.of(field.text().split("\r\n")).forEach(out);
    }
    echoHeld(added, out);
    out.accept(".");
    return verdict;
  }

  /** The message's one log line and its counts, {@code who} naming its session. */
  void log(String who, Verdict verdict) {
    signing.end(who, verdict, size, "proceed");
  }

  /**
   * The reply for a message that cannot be signed whatever its content: its size, a cut line, the
   * storage (a header block not kept shows once the header is complete).
   */
  private Verdict refusalBeforeSigning() {
    if (size > maxSize) {
      return signing.refuseTooLarge(maxSize);
    }
    if (lineCut) {
      return signing.refuseLineTooLong(FilterInput.MAX_LINE);
    }
    return storageFailure != null
        ? signing.refuseStorage("cannot hold the message: " + storageFailure.getMessage())
        : null;
  }

  /** The held lines as they came, with the {@code added} fields at the end of the header. */
  private void echoHeld(List<String> added, Consumer<String> out) {
    long fieldLines = headerLines - (inBody ? 1 : 0);
    boolean addedSent = false;
    try {
      held.finish();
      try (InputStream stored = held.open()) {
        FilterInput lines = new FilterInput(stored); // LF-ended, as they were written
        long sent = 0;
        for (var line = lines.next(); line.isPresent(); line = lines.next()) {
          if (sent++ == fieldLines) {
            added.forEach(out);
            addedSent = true;
          }
          out.accept(line.get().text());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // the filter refuses the message at commit
    }
    if (!addedSent) {
      added.forEach(out); // a message that is all header: the fields go last
    }
  }

  long size() {
    return size;
  }

  /** Gives the memory back and deletes the spool file. */
  @Override
  public void close() {
    header.close();
    try {
      held.close();
    } catch (IOException e) {
      // the next start removes a file that could not be deleted now
    }
  }

  private void write(byte[] bytes) {
    try {
      signing.body().write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a hash in memory: cannot happen
    }
  }
}
