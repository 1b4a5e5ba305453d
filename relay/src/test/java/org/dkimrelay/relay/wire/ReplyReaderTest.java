package org.dkimrelay.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dkimrelay.relay.reply.SmtpReply;
import org.junit.jupiter.api.Test;

class ReplyReaderTest {

  private static SmtpReply read(String wire) throws IOException {
    return new ReplyReader(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8))).read();
  }

  @Test
  void onlyAWholeRepeatedEnhancedCodeIsTakenOffALineAndTheReplyReadsBackTheSame()
      throws IOException {
    SmtpReply reply =
        read("550-5.1.2 first\r\n550-5.1.25 not the code\r\n550-  indented\r\n550 5.1.2\r\n");
    assertThat(reply.lines()).containsExactly("first", "5.1.25 not the code", "  indented", "");
    assertThat(read(reply.wire() + "\r\n")).isEqualTo(reply);
  }

  @Test
  void multiLineReplyWithEnhancedCodesRoundTrips() throws IOException {
    SmtpReply reply = read("550-5.1.1 no such user\r\n550-5.1.1 really\r\n550 5.1.1 bye\r\n");
    assertThat(reply.code()).isEqualTo(550);
    assertThat(reply.enhanced()).isEqualTo("5.1.1");
    assertThat(reply.lines()).containsExactly("no such user", "really", "bye");
    assertThat(reply.wire())
        .isEqualTo("550-5.1.1 no such user\r\n550-5.1.1 really\r\n550 5.1.1 bye");
  }

  @Test
  void replyWithoutEnhancedCodeOrTextIsKeptAsIs() throws IOException {
    assertThat(read("250 Ok\r\n").enhanced()).isEmpty();
    assertThat(read("354\r\n").lines()).containsExactly("");
    assertThat(read("250 2.0.0\r\n").wire()).isEqualTo("250 2.0.0");
  }

  @Test
  void ehloKeywordsAreTheLinesAfterTheFirst() throws IOException {
    SmtpReply ehlo = read("250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
    assertThat(ehlo.lines()).containsExactly("mx.example", "PIPELINING", "8BITMIME");
  }

  @Test
  void garbageAndDisagreeingCodesAreProtocolErrors() {
    assertThatThrownBy(() -> read("hello\r\n")).isInstanceOf(ReplyReader.ProtocolException.class);
    assertThatThrownBy(() -> read("250-a\r\n251 b\r\n"))
        .isInstanceOf(ReplyReader.ProtocolException.class);
    assertThatThrownBy(() -> read("699 x\r\n")).isInstanceOf(ReplyReader.ProtocolException.class);
    assertThatThrownBy(() -> read("250x\r\n")).isInstanceOf(ReplyReader.ProtocolException.class);
    assertThatThrownBy(() -> read("250 " + "x".repeat(5000) + "\r\n"))
        .isInstanceOf(ReplyReader.ProtocolException.class);
  }

  @Test
  void aBareCrInsideALineIsAProtocolError() {
    // found by scripts/fuzz: it reached SmtpReply, which refuses CR, as an unchecked exception
    assertThatThrownBy(() -> read("250-mx.example\r\u00f6\r\n250 OK\r\n"))
        .isInstanceOf(ReplyReader.ProtocolException.class)
        .hasMessageContaining("bare CR");
  }

  @Test
  void aClosedConnectionIsADroppedConnection() {

    assertThatThrownBy(() -> read("250-half"))
        .isInstanceOf(ReplyReader.ConnectionDroppedException.class);
  }

  @Test
  void ourRepliesCannotCarryLineBreaks() {
    assertThat(SmtpReply.of(451, "4.4.1", "a\r\nb").lines()).containsExactly("a b");
    assertThatThrownBy(() -> new SmtpReply(250, "", List.of("a\nb")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dotStuffingDoublesLineStartDotsAndEndsWithCrlfDotCrlf() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DotStuffingOutputStream stuffing = new DotStuffingOutputStream(out);
    byte[] content = ".first\r\nmid.dle\r\n.\r\nlast".getBytes(StandardCharsets.US_ASCII);
    for (byte b : content) {
      stuffing.write(b); // byte by byte, the worst split
    }
    stuffing.finish();
    assertThat(out.toString(StandardCharsets.US_ASCII))
        .isEqualTo("..first\r\nmid.dle\r\n..\r\nlast\r\n.\r\n");
  }

  @Test
  void dotStuffingEqualsAByteByByteReadingWhereverTheContentIsSplit() throws IOException {
    byte[] alphabet = {'.', '\r', '\n', 'a'};
    java.util.Random random = new java.util.Random(5321);
    for (int n = 0; n < 5_000; n++) {
      byte[] content = new byte[random.nextInt(24)];
      for (int i = 0; i < content.length; i++) {
        content[i] = alphabet[random.nextInt(alphabet.length)];
      }
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      boolean lineStart = true; // RFC 5321 §4.5.2, one byte at a time
      for (int i = 0; i < content.length; i++) {
        if (lineStart && content[i] == '.') {
          expected.write('.');
        }
        expected.write(content[i]);
        lineStart = content[i] == '\n' && i > 0 && content[i - 1] == '\r';
      }
      if (!lineStart) {
        expected.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      expected.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
      for (int split = 1; split <= Math.max(1, content.length); split++) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DotStuffingOutputStream stuffing = new DotStuffingOutputStream(out);
        for (int at = 0; at < content.length; at += split) {
          stuffing.write(content, at, Math.min(split, content.length - at));
        }
        stuffing.finish();
        assertThat(out.toByteArray())
            .as("split %d of %s", split, new String(content, StandardCharsets.US_ASCII))
            .isEqualTo(expected.toByteArray());
      }
    }
  }
}
