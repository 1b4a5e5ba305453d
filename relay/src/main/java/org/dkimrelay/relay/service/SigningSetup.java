package org.dkimrelay.relay.service;

import java.security.GeneralSecurityException;
import java.security.NoSuchProviderException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.config.SendersConfig;
import org.dkimrelay.relay.config.SigningConfig;
import org.dkimrelay.relay.dkim.DkimSigner;
import org.dkimrelay.relay.dkim.Signatures;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dkim.SigningRule;
import org.dkimrelay.relay.dkim.SigningTable;
import org.dkimrelay.relay.rotation.KeyLifecycle;
import org.dkimrelay.relay.rotation.KeyState;
import org.dkimrelay.relay.rotation.LifecycleFile;

/** Builds the signing engine from {@code [signing]} and the keys directory. */
final class SigningSetup {
  private SigningSetup() {}

  /**
   * Loads every active key of {@code keys} (keys without a lifecycle entry are active). A key that
   * cannot be used (unsafe permissions, damaged file) stops start-up: signing with some keys and
   * silently not with others is worse.
   */
  static SigningEngine load(RelayConfig config, KeyDirectory keys, Clock clock) {
    SigningConfig settings = config.signing();
    Signatures signatures;
    try {
      signatures = Signatures.selected();
    } catch (NoSuchProviderException e) {
      throw new ServiceException(e.getMessage()); // named as such, not as a key that cannot sign
    }
    List<SigningKey> signingKeys = new ArrayList<>();
    Map<SigningDomain, Map<String, KeyLifecycle>> lifecycles = new HashMap<>();
    for (KeyDirectory.Entry entry : keys.list()) {
      Map<String, KeyLifecycle> lifecycle;
      try {
        lifecycle =
            lifecycles.computeIfAbsent(
                entry.domain(), domain -> LifecycleFile.read(entry.keyFile().getParent()));
      } catch (IllegalArgumentException e) {
        throw new ServiceException(e.getMessage());
      }
      if (LifecycleFile.stateOf(lifecycle, entry.selector().value()) != KeyState.ACTIVE) {
        continue; // standby or retiring: kept, not signing
      }
      try {
        signingKeys.add(new SigningKey(keys.load(entry.domain(), entry.selector()), signatures));
      } catch (KeyToolException e) {
        throw new ServiceException(e.getMessage());
      } catch (GeneralSecurityException e) {
        throw new ServiceException(entry.keyFile() + ": the key cannot sign: " + e.getMessage());
      }
    }
    List<SigningRule> rules;
    try {
      rules = Policies.rules(settings);
    } catch (IllegalArgumentException e) {
      throw new ServiceException("signing.rule: " + e.getMessage());
    }
    checkRuleKeys(rules, signingKeys, keys);
    return new SigningEngine(
        new SigningTable(
            signingKeys,
            settings.subdomains(),
            rules,
            settings.ruleMatch() == SigningConfig.RuleMatch.ALL),
        new DkimSigner(Policies.signing(settings), clock),
        settings.unknownDomain() == SigningConfig.UnknownDomain.REJECT,
        settings.onMalformed() == SigningConfig.OnMalformed.REJECT,
        Policies.senders(config),
        config.senders().onMismatch() == SendersConfig.OnMismatch.REJECT);
  }

  /**
   * A rule naming a key of a given domain that the keys directory does not have would sign nothing
   * without a word: refused at start. {@code %} names the From domain's keys, known per message.
   */
  private static void checkRuleKeys(
      List<SigningRule> rules, List<SigningKey> signingKeys, KeyDirectory keys) {
    for (SigningRule rule : rules) {
      for (SigningRule.KeyReference reference : rule.keys()) {
        if (reference.domain().isEmpty()) {
          continue;
        }
        boolean present =
            signingKeys.stream()
                .anyMatch(
                    key ->
                        key.key().domain().equals(reference.domain().get())
                            && reference.selector().map(key.key().selector()::equals).orElse(true));
        if (!present) {
          throw new ServiceException(
              "signing.rule from '"
                  + rule.from()
                  + "' names the key "
                  + reference
                  + ", which is not an active key in "
                  + keys.root()
                  + ": create or import it, or change the rule");
        }
      }
    }
  }
}
