package org.dkimrelay.relay.dkim;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;

/**
 * One {@code [[signing.rule]]}: the From: addresses it matches and the keys that sign them, what
 * OpenDKIM's SigningTable and KeyTable say together. A pattern is matched against the whole
 * address, case-insensitively, {@code *} standing for any run of characters (OpenDKIM's {@code
 * refile:} patterns): {@code *@example.com} matches the domain, not its subdomains; {@code
 * *@*.example.com} the subdomains; {@code news@example.com} one address; {@code *} everything.
 */
public final class SigningRule {
  private final String from;
  private final Pattern pattern;
  private final List<KeyReference> keys;
  private final Optional<String> identity;

  /**
   * @param from the pattern as written, which the log and {@code sign --explain} name
   * @param keys the keys that sign a matching message
   * @param identity the {@code i=} tag, {@code %} standing for the From: domain (RFC 6376 §3.5)
   */
  public SigningRule(String from, List<KeyReference> keys, Optional<String> identity) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a rule without keys signs nothing");
    }
    this.from = from;
    this.pattern = pattern(from);
    this.keys = List.copyOf(keys);
    this.identity = identity;
  }

  private static Pattern pattern(String from) {
    StringBuilder regex = new StringBuilder();
    for (String literal : from.toLowerCase(Locale.ROOT).split("\\*", -1)) {
      if (!regex.isEmpty()) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(literal));
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  public String from() {
    return from;
  }

  public List<KeyReference> keys() {
    return keys;
  }

  /** Whether the rule matches {@code address} (local part @ domain). */
  public boolean matches(String address) {
    return pattern.matcher(address.toLowerCase(Locale.ROOT)).matches();
  }

  /**
   * The {@code i=} for a message from {@code fromDomain} signed with {@code d=signingDomain}, when
   * the rule gives one that lies in it: RFC 6376 §3.5 requires i= in d= or a subdomain, so, as
   * OpenDKIM does, one that is not is left out.
   */
  public Optional<String> identityFor(SigningDomain fromDomain, SigningDomain signingDomain) {
    return identity
        .map(text -> text.replace("%", fromDomain.name()))
        .filter(
            text -> {
              String domain = text.substring(text.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
              return domain.equals(signingDomain.name())
                  || domain.endsWith("." + signingDomain.name());
            });
  }

  @Override
  public String toString() {
    return from;
  }

  /**
   * A key a rule names: {@code DOMAIN/SELECTOR} (that key), {@code DOMAIN} (every active key of the
   * domain, so rotation carries on), {@code %/SELECTOR} or {@code %}: the same for the From: domain
   * (OpenDKIM's {@code %}: one rule for many domains, each signing with its own key).
   *
   * @param domain the key's domain, its {@code d=}; empty for the From: domain
   * @param selector one selector; empty for every active key of the domain
   */
  public record KeyReference(Optional<SigningDomain> domain, Optional<Selector> selector) {

    /** Reads {@code DOMAIN/SELECTOR}, {@code DOMAIN}, {@code %/SELECTOR} or {@code %}. */
    public static KeyReference parse(String text) {
      String[] parts = text.strip().split("/", -1);
      if (parts.length > 2 || parts[0].isEmpty()) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a key: write DOMAIN/SELECTOR, DOMAIN, %/SELECTOR or %");
      }
      try {
        Optional<SigningDomain> domain =
            parts[0].equals("%") ? Optional.empty() : Optional.of(SigningDomain.parse(parts[0]));
        Optional<Selector> selector =
            parts.length == 2 ? Optional.of(Selector.parse(parts[1])) : Optional.empty();
        return new KeyReference(domain, selector);
      } catch (KeyToolException e) {
        throw new IllegalArgumentException("key '" + text + "': " + e.getMessage());
      }
    }

    /** The keys it names for a message from {@code fromDomain}, among {@code keysByDomain}. */
    List<SigningKey> resolve(
        Map<SigningDomain, List<SigningKey>> keysByDomain, SigningDomain fromDomain) {
      List<SigningKey> ofDomain = keysByDomain.getOrDefault(domain.orElse(fromDomain), List.of());
      return selector.isEmpty()
          ? ofDomain
          : ofDomain.stream().filter(key -> key.key().selector().equals(selector.get())).toList();
    }

    @Override
    public String toString() {
      return domain.map(SigningDomain::name).orElse("%")
          + selector.map(s -> "/" + s.value()).orElse("");
    }
  }
}
