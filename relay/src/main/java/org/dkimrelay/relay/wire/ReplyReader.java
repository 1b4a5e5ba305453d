package org.dkimrelay.relay.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.reply.SmtpReply;

/** Reads SMTP replies (RFC 5321 §4.2): {@code NNN-text} lines until {@code NNN text}. */
public final class ReplyReader {
  private static final int MAX_LINE = 4096;
  private static final int MAX_LINES = 100;

  private final InputStream in;

  public ReplyReader(InputStream in) {
    this.in = in;
  }

  /**
   * @throws IOException when the connection ends or the peer does not speak SMTP
   */
  public SmtpReply read() throws IOException {
    List<String> texts = new ArrayList<>();
    int code = -1;
    while (texts.size() < MAX_LINES) {
      String line = readLine();
      if (line.length() < 3 || !line.substring(0, 3).chars().allMatch(Character::isDigit)) {
        throw new ProtocolException("not an SMTP reply: " + printable(line));
      }
      int lineCode = Integer.parseInt(line.substring(0, 3));
      if (code >= 0 && lineCode != code) {
        throw new ProtocolException("reply lines disagree on the code: " + printable(line));
      }
      code = lineCode;
      boolean more = line.length() > 3 && line.charAt(3) == '-';
      if (line.length() > 3 && !more && line.charAt(3) != ' ') {
        throw new ProtocolException("not an SMTP reply: " + printable(line));
      }
      texts.add(line.length() > 4 ? line.substring(4) : "");
      if (!more) {
        if (code < 200 || code > 599) {
          throw new ProtocolException("reply code " + code + " is outside 2xx-5xx");
        }
        return SmtpReply.parse(code, texts);
      }
    }
    throw new ProtocolException("reply longer than " + MAX_LINES + " lines");
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int previous = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new ConnectionDroppedException("upstream closed the connection");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int length = previous == '\r' ? bytes.length - 1 : bytes.length; // accept a bare LF too
        String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
        if (text.indexOf('\r') >= 0) {
          // found by fuzzing: a lone CR inside a line would be passed back to our client and
          // break its view of the protocol
          throw new ProtocolException("bare CR in reply line: " + printable(text));
        }
        return text;
      }

      if (line.size() >= MAX_LINE) {
        throw new ProtocolException("reply line longer than " + MAX_LINE + " bytes");
      }
      line.write(b);
      previous = b;
    }
  }

  private static String printable(String text) {
    String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /** The peer sent something that is not SMTP. */
  public static final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    ProtocolException(String message) {
      super(message);
    }
  }

  /** The peer closed the connection where a reply was due. */
  static final class ConnectionDroppedException extends IOException {
    private static final long serialVersionUID = 1L;

    ConnectionDroppedException(String message) {
      super(message);
    }
  }
}
