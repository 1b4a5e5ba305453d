package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dkimrelay.relay.dkim.HeaderBlockTest.bytes;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dkimrelay.keys.SigningDomain;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code [[signing.rule]]}: what OpenDKIM's SigningTable and KeyTable can say, said as rules. */
class SigningRuleTest {
  static SigningKey netMail;
  static SigningKey netOld;
  static SigningKey orgMail;
  static SigningKey comMail;

  @BeforeAll
  static void keys() throws Exception {
    netMail = TestKeys.rfc8463("example.net", "mail");
    netOld = TestKeys.rfc8463("example.net", "old2023");
    orgMail = TestKeys.rfc8463("example.org", "mail");
    comMail = TestKeys.rfc8463("example.com", "mail");
  }

  private static SigningRule rule(String from, String... keys) {
    return new SigningRule(
        from,
        List.of(keys).stream().map(SigningRule.KeyReference::parse).toList(),
        Optional.empty());
  }

  private static SigningDecision decide(SigningTable table, String from) throws Exception {
    return table.decide(HeaderBlock.parse(bytes("From: " + from + "\r\n")));
  }

  private static SigningTable table(boolean all, SigningRule... rules) {
    return new SigningTable(List.of(netMail, netOld, orgMail, comMail), true, List.of(rules), all);
  }

  @Test
  void patternsMatchTheWholeAddressCaseInsensitivelyWithStarForAnyCharacters() throws Exception {
    assertThat(rule("*@example.com", "example.com").matches("Joe@Example.COM")).isTrue();
    assertThat(rule("*@example.com", "example.com").matches("joe@sub.example.com")).isFalse();
    assertThat(rule("*@*.example.com", "example.com").matches("joe@sub.example.com")).isTrue();
    assertThat(rule("*@*.example.com", "example.com").matches("joe@example.com")).isFalse();
    assertThat(rule("news@example.com", "example.com").matches("news@example.com")).isTrue();
    assertThat(rule("news@example.com", "example.com").matches("anews@example.com")).isFalse();
    // a dot is a dot, not "any character" as in a regular expression
    assertThat(rule("*@example.com", "example.com").matches("joe@exampleXcom")).isFalse();
    assertThat(rule("*", "example.com").matches("anyone@anywhere.example")).isTrue();
  }

  @Test
  void theFirstMatchingRuleSignsInTheirOrder() throws Exception {
    SigningTable table =
        table(
            false,
            rule("*@lists.example.net", "example.net/old2023"),
            rule("*@example.net", "example.net/mail"),
            rule("*@*.example.net", "example.net/mail"));
    SigningDecision.Sign lists = (SigningDecision.Sign) decide(table, "l@lists.example.net");
    assertThat(lists.keys()).containsExactly(netOld);
    assertThat(lists.rule()).contains("*@lists.example.net");
    assertThat(((SigningDecision.Sign) decide(table, "a@example.net")).keys())
        .containsExactly(netMail);
    assertThat(((SigningDecision.Sign) decide(table, "a@news.example.net")).keys())
        .containsExactly(netMail);
    assertThat(decide(table, "a@example.org"))
        .isEqualTo(new SigningDecision.NoKey("example.org", false));
  }

  @Test
  void withAllMatchesEveryMatchingRuleSignsEachKeyOnce() throws Exception {
    SigningTable table =
        table(
            true,
            rule("*@lists.example.net", "example.net/old2023"),
            rule("*@*example.net", "example.net/mail", "example.net/old2023"));
    SigningDecision.Sign lists = (SigningDecision.Sign) decide(table, "l@lists.example.net");
    assertThat(lists.keys()).containsExactly(netOld, netMail);
    assertThat(lists.rule()).contains("*@lists.example.net,*@*example.net");
  }

  @Test
  void aKeyOfAnotherDomainSignsWithItsOwnDomainAsD() throws Exception {
    SigningTable table = table(false, rule("*@example.net", "example.com/mail"));
    SigningDecision.Sign sign = (SigningDecision.Sign) decide(table, "a@example.net");
    assertThat(sign.keys()).containsExactly(comMail);
    assertThat(sign.signingDomains()).containsExactly(SigningDomain.parse("example.com"));
    assertThat(sign.fromDomain()).isEqualTo(SigningDomain.parse("example.net"));
  }

  @Test
  void percentNamesTheKeysOfTheFromDomainOneRuleForManyDomains() throws Exception {
    SigningTable table = table(false, rule("*", "%/mail"));
    assertThat(((SigningDecision.Sign) decide(table, "a@example.org")).keys())
        .containsExactly(orgMail);
    assertThat(((SigningDecision.Sign) decide(table, "a@example.net")).keys())
        .containsExactly(netMail);
    assertThat(decide(table, "a@example.edu"))
        .isEqualTo(new SigningDecision.NoKey("example.edu", false));
    // % without a selector: every key of the From domain
    assertThat(
            ((SigningDecision.Sign) decide(table(false, rule("*", "%")), "a@example.net")).keys())
        .containsExactlyInAnyOrder(netMail, netOld);
  }

  @Test
  void theIdentityGoesInOnlyWhereItLiesInTheSigningDomain() throws Exception {
    SigningRule rule =
        new SigningRule("*", List.of(SigningRule.KeyReference.parse("%/mail")), Optional.of("@%"));
    SigningTable table = new SigningTable(List.of(netMail, comMail), true, List.of(rule), false);
    SigningDecision.Sign sign = (SigningDecision.Sign) decide(table, "a@example.net");
    assertThat(sign.identities()).isEqualTo(Map.of(netMail, "@example.net"));

    SigningRule thirdParty =
        new SigningRule(
            "*@example.net",
            List.of(SigningRule.KeyReference.parse("example.com/mail")),
            Optional.of("@example.net"));
    SigningTable other = new SigningTable(List.of(comMail), true, List.of(thirdParty), false);
    assertThat(((SigningDecision.Sign) decide(other, "a@example.net")).identities()).isEmpty();
  }

  @Test
  void aRuleWhoseKeysAreHeldSaysSo() throws Exception {
    SigningTable table =
        table(false, rule("*@example.net", "example.net/old2023")).withKeys(List.of(netMail));
    assertThat(decide(table, "a@example.net"))
        .isEqualTo(new SigningDecision.NoKey("example.net", true));
  }

  @Test
  void aKeyReferenceIsDomainSlashSelectorDomainOrPercent() throws Exception {
    assertThat(SigningRule.KeyReference.parse("example.com/mail").toString())
        .isEqualTo("example.com/mail");
    assertThat(SigningRule.KeyReference.parse("%").toString()).isEqualTo("%");
    assertThatThrownBy(() -> SigningRule.KeyReference.parse("a/b/c"))
        .hasMessageContaining("write DOMAIN/SELECTOR, DOMAIN, %/SELECTOR or %");
    assertThatThrownBy(() -> SigningRule.KeyReference.parse("exa mple.com/mail"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
