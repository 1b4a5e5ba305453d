package org.dkimrelay.relay.dkim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.dkimrelay.keys.SigningDomain;

/**
 * What a logged-in sender (SMTP AUTH) may have signed: without it, any login could send {@code
 * From: ceo@other-tenant.example} and get a valid {@code d=other-tenant.example} signature, which
 * passes DMARC for a spoofed author. A login that names a domain ({@code alice@example.com}) may
 * sign for that domain (and its subdomains when subdomains are signed); the map ({@code
 * [senders.logins]}) widens or narrows that per login ({@code alice@example.com}), per login domain
 * ({@code *@example.com}) or for every login ({@code *}), to domains, single addresses, or {@code
 * *} (everything). A login without a domain and no entry may sign nothing once there is a map; with
 * no map at all it signs as before there were bindings. Mail without a login (an internal client)
 * is not bound.
 */
public final class SenderBinding {
  private static final Pattern UNPRINTABLE = Pattern.compile("[\\p{Cntrl}\\s\"]");

  /** Everything: a list server, a relay account. */
  public static final String EVERYTHING = "*";

  private final Map<String, List<String>> logins; // pattern (lower case) → allowed
  private final boolean subdomains;

  /** {@code logins}: login pattern → what it may sign, in the order written (checked when read). */
  public SenderBinding(Map<String, List<String>> logins, boolean subdomains) {
    Map<String, List<String>> lower = new LinkedHashMap<>();
    logins.forEach((pattern, allowed) -> lower.put(lowerCase(pattern), lowerCase(allowed)));
    this.logins = Map.copyOf(lower);
    this.subdomains = subdomains;
  }

  /** No map: logins with a domain are bound to it, others sign as before. */
  public static SenderBinding ownDomains(boolean subdomains) {
    return new SenderBinding(Map.of(), subdomains);
  }

  /** Which rule decided, and whether the author may be signed for. */
  public record Decision(boolean allowed, String rule) {}

  /**
   * Whether {@code login} may have mail from {@code author} (the From: address, whose domain is
   * {@code authorDomain}) signed, and by which rule.
   */
  public Decision decide(String login, String author, SigningDomain authorDomain) {
    String who = login.toLowerCase(Locale.ROOT);
    Optional<String> loginDomain = domainOf(who);
    Optional<String> matched =
        logins.containsKey(who)
            ? Optional.of(who)
            : loginDomain
                .map(domain -> "*@" + domain)
                .filter(logins::containsKey)
                .or(() -> Optional.of(EVERYTHING).filter(logins::containsKey));
    if (matched.isPresent()) {
      List<String> allowed = logins.get(matched.get());
      return new Decision(
          allowed.stream().anyMatch(entry -> covers(entry, author, authorDomain)),
          "senders.logins " + matched.get() + " = " + allowed);
    }
    if (loginDomain.isPresent()) {
      return new Decision(
          covers(loginDomain.get(), author, authorDomain),
          "the login's own domain " + loginDomain.get());
    }
    return logins.isEmpty()
        ? new Decision(true, "no [senders.logins] map: a login without a domain signs any domain")
        : new Decision(false, "no [senders.logins] entry for this login, which names no domain");
  }

  /**
   * {@code login} as it may be shown in a log line or an SMTP reply: control characters, white
   * space and quotes (a peer's bytes) made "?".
   */
  public static String printable(String login) {
    return UNPRINTABLE.matcher(login).replaceAll("?");
  }

  /** The login's domain, for the metrics of mismatches: "none" when it names none. */
  public static String loginDomain(String login) {
    return domainOf(login.toLowerCase(Locale.ROOT)).orElse("none");
  }

  private boolean covers(String entry, String author, SigningDomain authorDomain) {
    if (entry.equals(EVERYTHING)) {
      return true;
    }
    if (entry.contains("@")) {
      return entry.equals(author.toLowerCase(Locale.ROOT)); // one address
    }
    String domain = authorDomain.name();
    return domain.equals(entry) || (subdomains && domain.endsWith("." + entry));
  }

  private static Optional<String> domainOf(String login) {
    int at = login.lastIndexOf('@');
    return at > 0 && at < login.length() - 1
        ? Optional.of(login.substring(at + 1))
        : Optional.empty();
  }

  private static String lowerCase(String text) {
    return text.trim().toLowerCase(Locale.ROOT);
  }

  private static List<String> lowerCase(List<String> texts) {
    return texts.stream().map(SenderBinding::lowerCase).toList();
  }
}
