package org.dkimrelay.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.YearMonth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

  @Test
  void internationalDomainBecomesALabels() {
    assertThat(SigningDomain.parse("bücher.example").name()).isEqualTo("xn--bcher-kva.example");
  }

  @Test
  void domainIsLowerCasedAndLosesItsTrailingDot() {
    assertThat(SigningDomain.parse(" Example.COM. ").name()).isEqualTo("example.com");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "com",
        "bad..example",
        "-bad.example",
        "bad-.example",
        "a_b.example",
        "exa mple.com",
        "192.0.2.1",
        "example.com..",
        "x@example.com"
      })
  void invalidDomainsAreRefusedWithTheReason(String input) {
    assertThatThrownBy(() -> SigningDomain.parse(input))
        .isInstanceOf(KeyToolException.class)
        .hasMessageStartingWith("invalid domain '" + input + "'");
  }

  @Test
  void tooLongLabelIsRefused() {
    assertThatThrownBy(() -> SigningDomain.parse("a".repeat(64) + ".example"))
        .isInstanceOf(KeyToolException.class);
  }

  @Test
  void parentWalksUpToTheLastTwoLabels() {
    SigningDomain news = SigningDomain.parse("news.mail.example.com");
    assertThat(news.parent()).contains(SigningDomain.parse("mail.example.com"));
    assertThat(news.parent().orElseThrow().parent()).contains(SigningDomain.parse("example.com"));
    assertThat(SigningDomain.parse("example.com").parent()).isEmpty();
  }

  @Test
  void datedSelectorNamesYearMonthAndAlgorithm() {
    assertThat(Selector.dated(YearMonth.of(2026, 11), KeyAlgorithm.RSA).value())
        .isEqualTo("202611r");
    assertThat(Selector.dated(YearMonth.of(2027, 1), KeyAlgorithm.ED25519).value())
        .isEqualTo("202701e");
  }

  @Test
  void selectorMayHaveSeveralLabelsAndIsLowerCased() {
    assertThat(Selector.parse("Mail.2026").value()).isEqualTo("mail.2026");
    assertThat(Selector.parse("s1").recordName(SigningDomain.parse("example.com")))
        .isEqualTo("s1._domainkey.example.com.");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a b", "a..b", "-a", "a_b", "sel/../x", "ü"})
  void invalidSelectorsAreRefused(String input) {
    assertThatThrownBy(() -> Selector.parse(input))
        .isInstanceOf(KeyToolException.class)
        .hasMessageStartingWith("invalid selector");
  }

  @Test
  void algorithmParsesEitherCaseAndRefusesOthers() {
    assertThat(KeyAlgorithm.parse("ED25519")).isEqualTo(KeyAlgorithm.ED25519);
    assertThatThrownBy(() -> KeyAlgorithm.parse("dsa"))
        .hasMessage("unknown key algorithm 'dsa': use rsa or ed25519");
  }
}
