package org.dkimrelay.relay.opensmtpd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;

/**
 * One message's data lines as smtpd hands them to the filter (no CR, still dot-stuffed, smtpd's own
 * Received: first, a "." last). The lines are held until the end; the signature is computed over
 * the message as OpenSMTPD will deliver it: dots un-stuffed, CRLF line ends, and the Date: and
 * Message-ID: it would append when they are missing added here first (RFC 5322 §3.6.1 and §3.6.4),
 * so that nothing OpenSMTPD adds later breaks the signature.
 */
final class FilterMessage {
  private static final DateTimeFormatter RFC_5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  private final MessagePipeline.Message signing;
  private final long maxSize;
  private final List<String> held = new ArrayList<>();
  private final ByteArrayOutputStream header = new ByteArrayOutputStream();
  private boolean inBody;
  private boolean hasDate;
  private boolean hasMessageId;
  private long size;

  FilterMessage(MessagePipeline.Message signing, long maxSize) {
    this.signing = signing;
    this.maxSize = maxSize;
  }

  /** The outcome at the final ".": what to echo (in order), and the answer at commit. */
  record Result(List<String> lines, Verdict verdict, SmtpReply refusal) {}

  /** Takes one data line other than the final "."; nothing is echoed yet. */
  void line(String line) {
    size += line.length() + 2;
    if (size > maxSize) {
      return; // counted, not kept: refused at the end with 552
    }
    held.add(line);
    String unstuffed = line.startsWith(".") ? line.substring(1) : line; // RFC 5321 §4.5.2
    byte[] bytes = (unstuffed + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    if (inBody) {
      write(bytes);
      return;
    }
    if (unstuffed.isEmpty()) {
      inBody = true;
      return;
    }
    String lower = unstuffed.toLowerCase(Locale.ROOT);
    hasDate |= lower.startsWith("date:");
    hasMessageId |= lower.startsWith("message-id:");
    header.writeBytes(bytes);
  }

  /** The final ".": sign, and say what to send back. */
  Result end(Clock clock, String hostname) {
    if (size > maxSize) {
      return new Result(List.of("."), null, Replies.messageTooLarge(maxSize));
    }
    List<String> added = new ArrayList<>();
    if (!hasDate) {
      added.add("Date: " + RFC_5322_DATE.format(ZonedDateTime.now(clock)));
    }
    if (!hasMessageId) {
      added.add("Message-ID: <" + UUID.randomUUID() + "@" + hostname + ">");
    }
    for (String field : added) {
      header.writeBytes((field + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    }
    header.writeBytes(new byte[] {'\r', '\n'});
    Verdict verdict = signing.finish(header.toByteArray());
    if (verdict instanceof Verdict.Refuse refuse) {
      return new Result(List.of("."), verdict, refuse.reply());
    }
    List<String> out = new ArrayList<>();
    for (SignatureField field : ((Verdict.Send) verdict).fields()) {
      out.addAll(List.of(field.text().split("\r\n")));
    }
    int endOfHeader = inBody ? held.indexOf("") : held.size();
    out.addAll(held.subList(0, endOfHeader));
    out.addAll(added);
    out.addAll(held.subList(endOfHeader, held.size()));
    out.add(".");
    return new Result(out, verdict, null);
  }

  long size() {
    return size;
  }

  private void write(byte[] bytes) {
    try {
      signing.body().write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a hash in memory: cannot happen
    }
  }
}
