package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.dkimrelay.keys.SigningDomain;
import org.junit.jupiter.api.Test;

class SenderBindingTest {

  private static SenderBinding.Decision decide(SenderBinding binding, String login, String author) {
    String domain = author.substring(author.indexOf('@') + 1);
    return binding.decide(login, author, SigningDomain.parse(domain));
  }

  @Test
  void withoutAMapALoginThatNamesADomainSignsForThatDomainOnly() {
    SenderBinding binding = SenderBinding.ownDomains(true);
    assertThat(decide(binding, "alice@example.com", "alice@example.com").allowed()).isTrue();
    assertThat(decide(binding, "Alice@Example.COM", "news@example.com").allowed()).isTrue();
    assertThat(decide(binding, "alice@example.com", "x@news.example.com").allowed()).isTrue();
    SenderBinding.Decision other = decide(binding, "alice@example.com", "ceo@other.example");
    assertThat(other.allowed()).isFalse();
    assertThat(other.rule()).isEqualTo("the login's own domain example.com");
    // a look-alike suffix is not a subdomain
    assertThat(decide(binding, "alice@example.com", "x@badexample.com").allowed()).isFalse();
    assertThat(
            decide(SenderBinding.ownDomains(false), "alice@example.com", "x@news.example.com")
                .allowed())
        .isFalse();
  }

  @Test
  void withoutAMapALoginWithoutADomainSignsAsBeforeBindings() {
    SenderBinding.Decision decision =
        decide(SenderBinding.ownDomains(true), "alice", "ceo@other.example");
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.rule()).contains("no [senders.logins] map");
  }

  @Test
  void theMapWidensAndNarrowsByLoginThenLoginDomainThenEveryLogin() {
    SenderBinding binding =
        new SenderBinding(
            Map.of(
                "alice@example.com", List.of("example.com", "example.org"),
                "*@example.net", List.of("news@example.net"),
                "lists", List.of("*"),
                "*", List.of("example.com")),
            true);
    assertThat(decide(binding, "alice@example.com", "a@example.org").allowed()).isTrue();
    assertThat(decide(binding, "alice@example.com", "a@example.org").rule())
        .isEqualTo("senders.logins alice@example.com = [example.com, example.org]");
    // narrowed: every login of example.net may sign one address, not its own domain
    assertThat(decide(binding, "bob@example.net", "news@example.net").allowed()).isTrue();
    assertThat(decide(binding, "bob@example.net", "bob@example.net").allowed()).isFalse();
    assertThat(decide(binding, "lists", "anyone@anywhere.example").allowed()).isTrue();
    // "*" catches every other login, with or without a domain
    assertThat(decide(binding, "carol@example.org", "carol@example.org").allowed()).isFalse();
    assertThat(decide(binding, "carol@example.org", "c@example.com").rule())
        .isEqualTo("senders.logins * = [example.com]");
  }

  @Test
  void withAMapALoginWithoutADomainOrEntrySignsNothing() {
    SenderBinding binding = new SenderBinding(Map.of("lists", List.of("*")), true);
    SenderBinding.Decision decision = decide(binding, "mallory", "mallory@example.com");
    assertThat(decision.allowed()).isFalse();
    assertThat(decision.rule()).contains("no [senders.logins] entry");
  }
}
