package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.dkimrelay.relay.dkim.HeaderBlockTest.bytes;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.SigningDomain;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SigningTableTest {
  static SigningKey rsa;
  static SigningKey ed25519;
  static SigningKey idn;

  @BeforeAll
  static void keys() throws Exception {
    rsa = TestKeys.fresh("example.com", "r1", KeyAlgorithm.RSA);
    ed25519 = TestKeys.rfc8463("example.com", "e1");
    idn = TestKeys.rfc8463("xn--bcher-kva.example", "e1");
  }

  static SigningDecision decide(boolean subdomains, String from) throws Exception {
    SigningTable table = new SigningTable(List.of(rsa, ed25519, idn), subdomains);
    return table.decide(HeaderBlock.parse(from.getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "From: joe@example.com\r\n",
        "From: Joe <joe@example.com>\r\n",
        "From: \"Doe, John\" (the boss) <john@EXAMPLE.com>\r\n",
        "From: =?UTF-8?Q?J=C3=B6rg?= <jorg@example.com>\r\n",
        "From:\r\n Folded Name\r\n <folded@example.com>\r\n",
        "FROM : joe@Example.Com\r\n",
      })
  void authorDomainSelectsBothKeysOfTheDomain(String from) throws Exception {
    SigningDecision decision = decide(true, from);
    assertThat(decision).isInstanceOf(SigningDecision.Sign.class);
    SigningDecision.Sign sign = (SigningDecision.Sign) decision;
    assertThat(sign.signingDomain()).isEqualTo(SigningDomain.parse("example.com"));
    assertThat(sign.keys()).containsExactly(rsa, ed25519);
  }

  @Test
  void subdomainSignsWithTheParentsKeysOnlyWhenAllowed() throws Exception {
    SigningDecision.Sign sign =
        (SigningDecision.Sign) decide(true, "From: n@news.mail.example.com\r\n");
    assertThat(sign.fromDomain().name()).isEqualTo("news.mail.example.com");
    assertThat(sign.signingDomain().name()).isEqualTo("example.com");
    assertThat(decide(false, "From: n@news.example.com\r\n"))
        .isInstanceOf(SigningDecision.NoKey.class);
  }

  @Test
  void internationalFromDomainFindsItsALabelKeys() throws Exception {
    SigningDecision.Sign sign =
        (SigningDecision.Sign) decide(true, "From: Anna <anna@bücher.example>\r\n");
    assertThat(sign.signingDomain().name()).isEqualTo("xn--bcher-kva.example");
  }

  @Test
  void unknownDomainHasNoKey() throws Exception {
    assertThat(decide(true, "From: a@example.org\r\n"))
        .isEqualTo(new SigningDecision.NoKey("example.org", false));
  }

  @Test
  void aDomainWhoseKeysAreAllHeldSaysSoAndOneWithAPublishedKeySignsWithIt() throws Exception {
    SigningTable table = new SigningTable(List.of(rsa, ed25519, idn), true).withKeys(List.of(rsa));
    SigningDecision held =
        table.decide(HeaderBlock.parse(bytes("From: a@xn--bcher-kva.example\r\n")));
    assertThat(held).isEqualTo(new SigningDecision.NoKey("xn--bcher-kva.example", true));
    assertThat(((SigningDecision.NoKey) held).reason())
        .isEqualTo(
            "the key of xn--bcher-kva.example is held until DNS shows its record"
                + " (signing.require-published)");
    SigningDecision.Sign sign =
        (SigningDecision.Sign) table.decide(HeaderBlock.parse(bytes("From: a@example.com\r\n")));
    assertThat(sign.keys()).containsExactly(rsa);
    assertThat(table.decide(HeaderBlock.parse(bytes("From: a@example.org\r\n"))))
        .isEqualTo(new SigningDecision.NoKey("example.org", false));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "To: a@example.com\r\n|no From",
        "From: a@example.com\r\nFrom: b@example.com\r\n|2 From",
        "From: a@example.com, b@example.com\r\n|exactly one address",
        "From: list: a@example.com, b@example.com;\r\n|exactly one address",
        "From: root\r\n|has no domain",
        "From: a@[192.0.2.1]\r\n|address literal",
        "From: <<<\r\n|cannot be parsed",
        "From: a@bad..example\r\n|dot-dot",
        "From: a@example.com.\r\n|ends with dot",
      })
  void malformedFromIsRefusedWithTheReason(String caseText) throws Exception {
    String[] parts = caseText.split("\\|");
    SigningDecision decision = decide(true, parts[0]);
    assertThat(decision).isInstanceOf(SigningDecision.Malformed.class);
    assertThat(((SigningDecision.Malformed) decision).reason()).contains(parts[1]);
  }

  @Test
  void aSingleLabelFromDomainSuchAsABouncesHasNoKeyAndIsNotMalformed() throws Exception {
    // OpenSMTPD's bounces come From: MAILER-DAEMON@HOST with a short host name (issue 16).
    assertThat(decide(true, "From: Mail Delivery System <MAILER-DAEMON@vm>\r\n"))
        .isEqualTo(new SigningDecision.NoKey("vm", false));
    assertThat(decide(true, "From: a@LocalHost\r\n"))
        .isEqualTo(new SigningDecision.NoKey("localhost", false));
  }

  @Test
  void headerBytesAreNotNeededAsText() throws Exception {
    SigningTable table = new SigningTable(List.of(rsa), true);
    byte[] latin1 = bytes("Subject: Gr\u00fc\u00dfe\r\nFrom: a@example.com\r\n");
    assertThat(table.decide(HeaderBlock.parse(latin1))).isInstanceOf(SigningDecision.Sign.class);
  }
}
