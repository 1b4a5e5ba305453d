package org.dkimrelay.relay.reply;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An SMTP reply as a value: code, enhanced status code (RFC 3463; may be empty) and text, one
 * element per line. What upstream says is kept as it was said, so it can be passed back as is.
 */
public record SmtpReply(int code, String enhanced, List<String> lines) {
  // RFC 3463 §2: class "." subject "." detail, class 2, 4 or 5.
  private static final Pattern ENHANCED =
      Pattern.compile("([245]\\.\\d{1,3}\\.\\d{1,3})(?: |$)(.*)");

  public SmtpReply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code " + code + " is not 2xx to 5xx");
    }
    lines = List.copyOf(lines.isEmpty() ? List.of("") : lines);
    for (String line : lines) {
      if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
        throw new IllegalArgumentException(
            "a reply line cannot hold CR or LF"); // it would desync SMTP
      }
    }
  }

  /** A one-line reply of our own, such as {@code of(451, "4.4.1", "upstream unreachable")}. */
  public static SmtpReply of(int code, String enhanced, String text) {
    return new SmtpReply(code, enhanced, List.of(text.replaceAll("[\\r\\n]+", " ")));
  }

  /**
   * A reply from its wire lines (without CRLF), as {@code wire.ReplyReader} collects them. The
   * enhanced code is taken from the first line and removed from every line that repeats it.
   */
  public static SmtpReply parse(int code, List<String> texts) {
    Matcher first = ENHANCED.matcher(texts.get(0));
    if (!first.matches()) {
      return new SmtpReply(code, "", texts);
    }
    String enhanced = first.group(1);
    List<String> lines =
        texts.stream()
            .map(
                text ->
                    text.equals(enhanced)
                        ? ""
                        : text.startsWith(enhanced + " ")
                            ? text.substring(enhanced.length() + 1) // the code and its one SP
                            : text) // "5.1.25 x" does not repeat "5.1.2"
            .toList();
    return new SmtpReply(code, enhanced, lines);
  }

  public boolean positive() {
    return code < 400;
  }

  /** 3xx: the command goes on (354 after DATA, 334 in AUTH); never the end of a transaction. */
  public boolean intermediate() {
    return code >= 300 && code < 400;
  }

  public boolean permanentFailure() {
    return code >= 500;
  }

  public boolean transientFailure() {
    return code >= 400 && code < 500;
  }

  /** The reply as sent on the wire, lines joined by CRLF, without the final CRLF. */
  public String wire() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      if (i > 0) {
        text.append("\r\n");
      }
      text.append(code).append(i == lines.size() - 1 ? ' ' : '-');
      String line = lines.get(i);
      if (!enhanced.isEmpty()) {
        text.append(enhanced).append(line.isEmpty() ? "" : " ");
      }
      text.append(line);
    }
    return text.toString();
  }

  /** One line for logs: {@code 250 2.0.0 Ok: queued as 4Fx}. */
  @Override
  public String toString() {
    return code + (enhanced.isEmpty() ? "" : " " + enhanced) + " " + String.join(" / ", lines);
  }
}
