package org.dkimrelay.relay.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * The interop corpus: real-world shapes of mail that a signer gets wrong. Each message is written
 * with CRLF line endings unless its name says otherwise.
 */
public final class Corpus {
  /**
   * A named message; {@code signedBy} is the d= expected, or null when it must not be signed.
   * {@code dkimpyParses} is false for the one shape dkimpy refuses to parse at all (obsolete {@code
   * Name :} syntax, RFC 5322 §4.5); Mail::DKIM still checks those.
   */
  public record Message(String name, byte[] bytes, String signedBy, boolean dkimpyParses) {
    Message(String name, byte[] bytes, String signedBy) {
      this(name, bytes, signedBy, true);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static final String BASIC =
      "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Hello\r\n"
          + "Date: Sun, 15 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n";

  private Corpus() {}

  private static String longLine(int octets) {
    StringBuilder line = new StringBuilder(octets);
    while (line.length() < octets) {
      line.append("0123456789");
    }
    return line.substring(0, octets);
  }

  /** The messages with a line over 998 octets: body lines in plain text, base64, QP; a header. */
  public static List<Message> longLines() {
    return signable().stream().filter(Corpus::hasLongLine).toList();
  }

  /**
   * The corpus as OpenSMTPD takes it: without the 100,000-octet line, which smtpd itself refuses
   * ("500 5.0.0 Line too long", measured with 6.8) before any filter sees it.
   */
  public static List<Message> forOpenSmtpd() {
    return signable().stream().filter(m -> !m.name().equals(OPENSMTPD_REFUSES)).toList();
  }

  public static final String OPENSMTPD_REFUSES = "100000-octet line";

  private static boolean hasLongLine(Message message) {
    return message.name().contains("-octet ") || message.name().startsWith("long line in");
  }

  public static List<Message> signable() {
    List<Message> list = new ArrayList<>();
    add(list, "plain", BASIC + "\r\nHello Bob.\r\n");
    add(
        list,
        "folded headers",
        "From: Alice\r\n <alice@example.com>\r\nTo: a@example.org,\r\n\tb@example.org,\r\n  c@example.org\r\n"
            + "Subject: a subject\r\n that goes on\r\n\tand on\r\n\r\nbody\r\n");
    add(
        list,
        "odd-case names",
        "FROM: alice@example.com\r\nsUbJeCt: case\r\nTO: b@example.org\r\n\r\nbody\r\n");
    list.add(
        new Message(
            "space before colon",
            ascii("From : alice@example.com\r\nSubject  :\tspaced\r\n\r\nbody\r\n"),
            "example.com",
            false));

    add(
        list,
        "duplicate To and Subject",
        BASIC + "To: second@example.org\r\nSubject: second subject\r\n\r\nbody\r\n");
    add(
        list,
        "raw UTF-8 header",
        "From: Jörg <joerg@example.com>\r\nSubject: Grüße aus Köln ✓\r\n\r\nbody\r\n",
        StandardCharsets.UTF_8);
    add(
        list,
        "raw Latin-1 header",
        "From: alice@example.com\r\nSubject: Grüße, naïve café\r\n\r\nbody\r\n",
        StandardCharsets.ISO_8859_1);
    add(list, "over 1000 fields", BASIC + fillerFields(1500) + "\r\nbody\r\n");
    add(list, "long folded field", BASIC + "References:" + references(300) + "\r\n\r\nbody\r\n");
    add(list, "empty body", BASIC + "\r\n");
    add(list, "no body no empty line", BASIC);
    add(list, "body without final CRLF", BASIC + "\r\nlast line has no end");
    add(list, "trailing blank lines", BASIC + "\r\ntext\r\n\r\n\r\n\r\n");
    add(list, "blank lines only", BASIC + "\r\n\r\n \r\n\t\r\n");
    add(list, "leading dots", BASIC + "\r\n.\r\n..\r\n.hidden\r\n...\r\n");
    add(
        list,
        "998-char lines",
        BASIC + "\r\n" + "a".repeat(998) + "\r\n" + "b".repeat(998) + "\r\n");
    for (int octets : new int[] {999, 1500, 5000, 100_000}) {
      add(
          list,
          octets + "-octet line",
          BASIC + "\r\nbefore\r\n" + longLine(octets) + "\r\nafter\r\n");
    }
    add(
        list,
        "long line in a base64 part",
        BASIC
            + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n"
            + "--b2\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n"
            + "--b2\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Base64.getEncoder().encodeToString(longLine(3000).getBytes(StandardCharsets.US_ASCII))
            + "\r\n--b2--\r\n");
    add(
        list,
        "long line in a quoted-printable part",
        BASIC
            + "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>"
            + longLine(1500).replace("5", "=3D")
            + "</p>\r\n");
    add(
        list,
        "1,200-octet header field",
        BASIC.replace("Subject: Hello", "Subject: " + longLine(1200)) + "\r\nbody\r\n");
    add(
        list,
        "white space in body",
        BASIC + "\r\n  two leading\r\ntrailing   \t\r\nin  the \t middle\r\n");
    add(
        list,
        "8-bit UTF-8 body",
        BASIC
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Transfer-Encoding: 8bit\r\n\r\nÄrger, naïveté, 日本語, emoji 🙂\r\n",
        StandardCharsets.UTF_8);
    add(
        list,
        "MIME alternative",
        BASIC
            + "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
            + "--b1\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b1\r\nContent-Type: text/html\r\n\r\n"
            + "<p>html</p>\r\n--b1--\r\n");
    add(list, "1 MB attachment", BASIC + attachment(1024 * 1024));
    list.add(
        new Message(
            "From subdomain",
            ascii(BASIC.replace("alice@example.com", "news@news.example.com") + "\r\nnews\r\n"),
            "example.com"));
    add(
        list,
        "existing foreign signature",
        "DKIM-Signature: v=1; a=rsa-sha256; d=other.example; s=x; h=from; bh=AAAA; b=BBBB\r\n"
            + BASIC
            + "\r\nforwarded\r\n");
    add(
        list,
        "display name with comment and quotes",
        "From: \"Doe, John\" (the boss) <john@EXAMPLE.COM>\r\nSubject: q\r\n\r\nbody\r\n");
    add(
        list,
        "encoded-word display name",
        "From: =?UTF-8?B?SsO2cmc=?= <joerg@example.com>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\nbody\r\n");
    add(
        list,
        "bare LF line endings",
        (BASIC + "\r\nline one\r\nline two\r\n").replace("\r\n", "\n"));
    list.add(
        new Message(
            "IDN From domain",
            "From: Anna <anna@bücher.example>\r\nSubject: idn\r\n\r\nbody\r\n"
                .getBytes(StandardCharsets.UTF_8),
            "xn--bcher-kva.example"));
    add(
        list,
        "list headers",
        BASIC
            + "List-Id: <news.example.com>\r\nList-Unsubscribe: <https://example.com/u>\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nlist mail\r\n");
    return list;
  }

  public static final Message UNKNOWN_DOMAIN =
      new Message(
          "unknown domain", ascii("From: x@example.net\r\nSubject: s\r\n\r\nbody\r\n"), null);
  public static final Message MISSING_FROM =
      new Message("missing From", ascii("To: b@example.org\r\nSubject: s\r\n\r\nbody\r\n"), null);
  public static final Message DUPLICATE_FROM =
      new Message(
          "duplicate From",
          ascii("From: a@example.com\r\nFrom: evil@example.net\r\n\r\nbody\r\n"),
          null);

  private static void add(List<Message> list, String name, String text) {
    add(list, name, text, StandardCharsets.US_ASCII);
  }

  private static void add(List<Message> list, String name, String text, Charset charset) {
    list.add(new Message(name, text.getBytes(charset), "example.com"));
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static String fillerFields(int count) {
    StringBuilder fields = new StringBuilder();
    for (int i = 0; i < count; i++) {
      fields.append("X-Filler-").append(i).append(": value ").append(i).append("\r\n");
    }
    return fields.toString();
  }

  private static String references(int count) {
    StringBuilder refs = new StringBuilder();
    for (int i = 0; i < count; i++) {
      refs.append("\r\n <message-").append(i).append("@example.com>");
    }
    return refs.toString();
  }

  private static String attachment(int size) {
    byte[] data = new byte[size];
    new Random(42).nextBytes(data);
    String base64 = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encodeToString(data);
    return "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"att\"\r\n\r\n"
        + "--att\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        + "--att\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        + "Content-Disposition: attachment; filename=\"random.bin\"\r\n\r\n"
        + base64
        + "\r\n--att--\r\n";
  }

  /** What the signer sends: the input with line endings made CRLF (the one change it makes). */
  public static byte[] normalised(byte[] input) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(input.length + 64);
    for (int i = 0; i < input.length; i++) {
      byte b = input[i];
      if (b == '\n' && (i == 0 || input[i - 1] != '\r')) {
        out.write('\r');
      }
      out.write(b);
    }
    return brokenAsPostfixSends(out.toString(StandardCharsets.ISO_8859_1), 998)
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * {@code body} with its lines broken as Postfix's SMTP client breaks them for
   * smtp_line_length_limit, written the direct way: {@code limit} octets, then CRLF SP and at most
   * {@code limit} - 1 octets a line; a line of exactly {@code limit} octets is left alone.
   */
  public static String brokenAsPostfixSends(String body, int limit) {
    StringBuilder out = new StringBuilder();
    int start = 0;
    while (start < body.length()) {
      int crlf = body.indexOf("\r\n", start);
      int end = crlf < 0 ? body.length() : crlf;
      String line = body.substring(start, end);
      int spaceLeft = limit;
      int at = 0;
      while (line.length() - at > spaceLeft) {
        out.append(line, at, at + spaceLeft).append("\r\n ");
        at += spaceLeft;
        spaceLeft = limit - 1;
      }
      out.append(line.substring(at));
      if (crlf >= 0) {
        out.append("\r\n");
      }
      start = crlf < 0 ? body.length() : crlf + 2;
    }
    return out.toString();
  }
}
