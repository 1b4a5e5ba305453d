package org.dkimrelay.relay.service;

import java.util.List;
import java.util.Set;
import org.dkimrelay.relay.config.Interval;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.config.SigningConfig;
import org.dkimrelay.relay.dkim.Canonicalization;
import org.dkimrelay.relay.dkim.SenderBinding;
import org.dkimrelay.relay.dkim.SigningPolicy;
import org.dkimrelay.relay.dkim.SigningRule;
import org.dkimrelay.relay.rotation.RotationPolicy;

/**
 * The policies that the settings describe: the one place that maps {@code [signing]}, {@code
 * [senders]} and {@code [rotation]} (checked when they were read) to what {@code dkim} and {@code
 * rotation} work with.
 */
public final class Policies {
  private Policies() {}

  public static SigningPolicy signing(SigningConfig settings) {
    return new SigningPolicy(
        settings.headers(),
        Set.copyOf(settings.oversign()),
        Canonicalization.Pair.parse(settings.canonicalization()),
        settings.expire().map(Interval::duration),
        settings.lineLengthLimit());
  }

  /** {@code [[signing.rule]]}, in order (checked when they were read). */
  public static List<SigningRule> rules(SigningConfig settings) {
    return rules(settings.rules());
  }

  /** Rules as written in the configuration, as the signing table applies them. */
  public static List<SigningRule> rules(List<SigningConfig.Rule> rules) {
    return rules.stream()
        .map(
            rule ->
                new SigningRule(
                    rule.from(),
                    rule.keys().stream().map(SigningRule.KeyReference::parse).toList(),
                    rule.i()))
        .toList();
  }

  /** What each login may have signed ({@code [senders]}), subdomains as {@code [signing]} says. */
  public static SenderBinding senders(RelayConfig config) {
    return new SenderBinding(config.senders().logins(), config.signing().subdomains());
  }

  public static RotationPolicy rotation(RelayConfig.Rotation settings) {
    return new RotationPolicy(
        settings.every().map(Interval::duration),
        settings.publishDelay().duration(),
        settings.grace().duration());
  }
}
