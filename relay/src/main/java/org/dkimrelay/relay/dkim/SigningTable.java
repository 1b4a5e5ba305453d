package org.dkimrelay.relay.dkim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dkimrelay.keys.SigningDomain;

/**
 * Chooses keys for a message. By default by the From domain: every key of that domain signs (RSA
 * and Ed25519 give two signatures); with {@code subdomains}, {@code news.example.com} falls back to
 * the keys of {@code example.com}, the nearest parent that has keys. With rules ({@code
 * [[signing.rule]]}), only the rules decide, in order: the first that matches the From: address
 * signs, or, with {@code allMatches} (OpenDKIM's MultipleSignatures), every one that matches.
 */
public final class SigningTable {
  private final List<SigningKey> keys;
  private final Map<SigningDomain, List<SigningKey>> keysByDomain;
  private final boolean subdomains;

  /**
   * Keys left out by {@link #withKeys} (records not published yet): named when mail goes unsigned.
   */
  private final Map<SigningDomain, List<SigningKey>> heldByDomain;

  private final List<SigningRule> rules;
  private final boolean allMatches;

  /** The keys directory's own table: each key signs its domain. */
  public SigningTable(List<SigningKey> keys, boolean subdomains) {
    this(keys, subdomains, List.of(), List.of(), false);
  }

  /** A table of {@code rules} (none: the keys directory's own table) over {@code keys}. */
  public SigningTable(
      List<SigningKey> keys, boolean subdomains, List<SigningRule> rules, boolean allMatches) {
    this(keys, subdomains, List.of(), rules, allMatches);
  }

  private SigningTable(
      List<SigningKey> keys,
      boolean subdomains,
      List<SigningKey> held,
      List<SigningRule> rules,
      boolean allMatches) {
    this.keys = List.copyOf(keys);
    this.keysByDomain = byDomain(keys);
    this.heldByDomain = byDomain(held);
    this.subdomains = subdomains;
    this.rules = List.copyOf(rules);
    this.allMatches = allMatches;
  }

  private static Map<SigningDomain, List<SigningKey>> byDomain(List<SigningKey> keys) {
    Map<SigningDomain, List<SigningKey>> byDomain = new HashMap<>();
    for (SigningKey key : keys) {
      byDomain.computeIfAbsent(key.key().domain(), domain -> new ArrayList<>()).add(key);
    }
    byDomain.replaceAll((domain, list) -> List.copyOf(list));
    return Map.copyOf(byDomain);
  }

  public SigningDecision decide(HeaderBlock headers) {
    FromDomain.Author author;
    try {
      author = FromDomain.of(headers);
    } catch (FromDomain.NoSigningDomain e) {
      return new SigningDecision.NoKey(e.domain(), false);
    } catch (MalformedMessageException e) {
      return new SigningDecision.Malformed(e.getMessage());
    }
    SigningDomain from = author.domain();
    if (!rules.isEmpty()) {
      return byRules(author, from);
    }
    Optional<SigningDomain> candidate = Optional.of(from);
    while (candidate.isPresent()) {
      List<SigningKey> keys = keysByDomain.get(candidate.get());
      if (keys != null) {
        return new SigningDecision.Sign(from, keys, author.address());
      }
      if (heldByDomain.containsKey(candidate.get())) {
        return new SigningDecision.NoKey(from.name(), true);
      }
      candidate = subdomains ? candidate.get().parent() : Optional.empty();
    }
    return new SigningDecision.NoKey(from.name(), false);
  }

  /** The rules in order; every key a matching rule names signs, each once. */
  private SigningDecision byRules(FromDomain.Author author, SigningDomain from) {
    String written = author.address();
    String address = written.substring(0, written.lastIndexOf('@') + 1) + from.name();
    List<SigningKey> chosen = new ArrayList<>();
    Map<SigningKey, String> identities = new HashMap<>();
    List<String> matched = new ArrayList<>();
    boolean anyHeld = false;
    for (SigningRule rule : rules) {
      if (!rule.matches(address)) {
        continue;
      }
      matched.add(rule.from());
      for (SigningRule.KeyReference reference : rule.keys()) {
        List<SigningKey> found = reference.resolve(keysByDomain, from);
        anyHeld |= found.isEmpty() && !reference.resolve(heldByDomain, from).isEmpty();
        for (SigningKey key : found) {
          if (!chosen.contains(key)) {
            chosen.add(key);
            rule.identityFor(from, key.key().domain()).ifPresent(i -> identities.put(key, i));
          }
        }
      }
      if (!allMatches) {
        break;
      }
    }
    if (chosen.isEmpty()) {
      return new SigningDecision.NoKey(from.name(), anyHeld);
    }
    return new SigningDecision.Sign(
        from, chosen, written, Optional.of(String.join(",", matched)), identities);
  }

  /**
   * The same table with only {@code usable} keys (those whose DNS record is published); the rest
   * are held: a message for them is unsigned, and says why.
   */
  public SigningTable withKeys(List<SigningKey> usable) {
    List<SigningKey> left = keys().stream().filter(key -> !usable.contains(key)).toList();
    return new SigningTable(usable, subdomains, left, rules, allMatches);
  }

  /** Whether a subdomain signs with its nearest parent's keys. */
  public boolean subdomains() {
    return subdomains;
  }

  /** Every key that may sign now, for start-up messages. */
  public List<SigningKey> keys() {
    return keys;
  }

  /** The rules, in order; empty when the keys directory decides. */
  public List<SigningRule> rules() {
    return rules;
  }
}
