package org.dkimrelay.relay.reply;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RepliesTest {

  @Test
  void ehloIsOurNameThenOneKeywordALineAndEndsOnASpace() {
    assertThat(Replies.ehlo("relay.example", List.of("PIPELINING", "SIZE 1000", "8BITMIME")).wire())
        .isEqualTo("250-relay.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME");
    // no keywords: one final line, not a continuation that never ends
    assertThat(Replies.ehlo("relay.example", List.of()).wire()).isEqualTo("250 relay.example");
  }

  @Test
  void startMailInputIsRfc5321s354() {
    assertThat(Replies.START_MAIL_INPUT.wire()).isEqualTo("354 End data with <CR><LF>.<CR><LF>");
  }

  @Test
  void replyClassesFollowTheFirstDigit() {
    assertThat(SmtpReply.of(354, "", "go on").intermediate()).isTrue();
    assertThat(SmtpReply.of(250, "2.0.0", "Ok").intermediate()).isFalse();
    assertThat(SmtpReply.of(550, "5.1.1", "no").permanentFailure()).isTrue();
    assertThat(SmtpReply.of(451, "4.4.1", "later").permanentFailure()).isFalse();
  }
}
