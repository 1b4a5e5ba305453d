package org.dkimrelay.relay.dkim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dkimrelay.keys.SigningDomain;

/**
 * Chooses keys by the From domain: every key of that domain signs (RSA and Ed25519 give two
 * signatures). With {@code subdomains}, {@code news.example.com} falls back to the keys of {@code
 * example.com}, the nearest parent that has keys.
 */
public final class SigningTable {
  private final Map<SigningDomain, List<SigningKey>> keysByDomain;
  private final boolean subdomains;

  /**
   * Keys left out by {@link #withKeys} (records not published yet): named when mail goes unsigned.
   */
  private final Map<SigningDomain, List<SigningKey>> heldByDomain;

  public SigningTable(List<SigningKey> keys, boolean subdomains) {
    this(keys, subdomains, List.of());
  }

  private SigningTable(List<SigningKey> keys, boolean subdomains, List<SigningKey> held) {
    this.keysByDomain = byDomain(keys);
    this.heldByDomain = byDomain(held);
    this.subdomains = subdomains;
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
    Optional<SigningDomain> candidate = Optional.of(from);
    while (candidate.isPresent()) {
      List<SigningKey> keys = keysByDomain.get(candidate.get());
      if (keys != null) {
        return new SigningDecision.Sign(from, candidate.get(), keys, author.address());
      }
      if (heldByDomain.containsKey(candidate.get())) {
        return new SigningDecision.NoKey(from.name(), true);
      }
      candidate = subdomains ? candidate.get().parent() : Optional.empty();
    }
    return new SigningDecision.NoKey(from.name(), false);
  }

  /**
   * The same table with only {@code usable} keys (those whose DNS record is published); the rest
   * are held: a message for them is unsigned, and says why.
   */
  public SigningTable withKeys(List<SigningKey> usable) {
    List<SigningKey> held = keys().stream().filter(key -> !usable.contains(key)).toList();
    return new SigningTable(usable, subdomains, held);
  }

  /** Whether a subdomain signs with its nearest parent's keys. */
  public boolean subdomains() {
    return subdomains;
  }

  /** Every key, for start-up messages. */
  public List<SigningKey> keys() {
    return keysByDomain.values().stream().flatMap(List::stream).toList();
  }
}
