package org.dkimrelay.relay.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.dkimrelay.relay.reply.SmtpReply;

/**
 * Fuzz target: upstream's replies may be refused only with an IOException (see ParserFuzzTest), and
 * a reply that is accepted, said again as we would pass it on, reads back as the same reply.
 */
class ReplyReaderFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void smtpReply(byte[] input) {
    try {
      SmtpReply reply = new ReplyReader(new ByteArrayInputStream(input)).read();
      byte[] again = (reply.wire() + "\r\n").getBytes(StandardCharsets.UTF_8);
      SmtpReply reread = new ReplyReader(new ByteArrayInputStream(again)).read();
      if (!reread.equals(reply)) {
        throw new AssertionError(reply.wire() + " reads back as " + reread.wire());
      }
    } catch (IOException expected) {
      // not a reply, or the connection "closed": both are refusals
    }
  }
}
