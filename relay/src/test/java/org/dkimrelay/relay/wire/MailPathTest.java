package org.dkimrelay.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MailPathTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "alice@example.com",
        "a.b-c+d@sub.example.co.uk",
        "\"alice smith\"@example.com",
        "\"quoted\\\"quote\"@example.com",
        "!#$%&'*+/=?^_`{|}~-@example.com",
        "alice@[192.0.2.1]",
        "alice@[IPv6:2001:db8::1]",
        "@a.example,@b.example:alice@example.com",
        "alice@x1.example",
      })
  void acceptsRfc5321Paths(String path) {
    assertThat(MailPath.checkForwardPath(path, false)).isEmpty();
    assertThat(MailPath.checkReversePath(path, false)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "alice",
        "alice@",
        "@example.com",
        "alice@@example.com",
        "al ice@example.com",
        "alice.@example.com",
        ".alice@example.com",
        "al..ice@example.com",
        "alice@example..com",
        "alice@-example.com",
        "alice@example-.com",
        "alice@exa_mple.com",
        "alice@example.com>",
        "alice\u0000@example.com",
        "alice\u007f@example.com",
        "\"unterminated@example.com",
        "alice@[]",
        "a@b@example.com",
      })
  void refusesWhatIsNotAPath(String path) {
    assertThat(MailPath.checkForwardPath(path, true)).contains(MailPath.Problem.SYNTAX);
  }

  @ParameterizedTest
  @ValueSource(strings = {"jörg@example.com", "jorg@bücher.example", "\"jö rg\"@example.com"})
  void utf8PathsNeedSmtpUtf8(String path) {
    assertThat(MailPath.checkForwardPath(path, false)).contains(MailPath.Problem.NON_ASCII);
    assertThat(MailPath.checkForwardPath(path, true)).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void theNullReversePathAndPostmasterStandAlone() {
    assertThat(MailPath.checkReversePath("", false)).isEmpty();
    assertThat(MailPath.checkForwardPath("", false))
        .isEqualTo(Optional.of(MailPath.Problem.SYNTAX));
    assertThat(MailPath.checkForwardPath("Postmaster", false)).isEmpty();
    assertThat(MailPath.checkReversePath("Postmaster", false)).contains(MailPath.Problem.SYNTAX);
  }
}
