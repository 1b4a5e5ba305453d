package org.dkimrelay.relay.upstream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.dkimrelay.relay.reply.SmtpReply;

/** Fuzz target: upstream's replies may be refused only with an IOException (see ParserFuzzTest). */
class ReplyReaderFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void smtpReply(byte[] input) {
    try {
      SmtpReply reply = new ReplyReader(new ByteArrayInputStream(input)).read();
      reply.wire(); // and whatever was accepted can be said again
    } catch (IOException expected) {
      // not a reply, or the connection "closed": both are refusals
    }
  }
}
