package org.dkimrelay.relay.opendkim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which keys OpenDKIM 2.11 signs a message with, from its tables, as opendkim.conf(5) and its
 * source describe it: the import's own account of OpenDKIM, printed beside what dkimrelay will sign
 * so that the admin sees every difference before anything changes.
 *
 * <ul>
 *   <li>{@code SigningTable refile:}: patterns ({@code *} any characters) matched against the From:
 *       address in file order, case-insensitively;
 *   <li>any other SigningTable: looked up as user@host, host, then user@.domain and .domain for
 *       each superdomain in turn, then user@*, then *;
 *   <li>the first match signs, or every match with {@code MultipleSignatures yes};
 *   <li>a value's first field names a KeyTable entry ({@code %}: the entry named by the From
 *       domain), its second the i=; a KeyTable domain of {@code %} is the From domain;
 *   <li>without tables, {@code Domain}/{@code Selector}/{@code KeyFile}: the listed domains, and
 *       with {@code SubDomains yes} their subdomains signed as the listed parent.
 * </ul>
 */
public final class OpenDkimSigning {

  /** A KeyTable entry: {@code NAME DOMAIN:SELECTOR:KEYFILE}; DOMAIN may be {@code %}. */
  public record KeyTableEntry(String name, String domain, String selector, String keyFile) {}

  /** A SigningTable entry: its key (pattern or lookup key), the key name, the optional signer. */
  public record Entry(String key, String keyName, Optional<String> signer) {}

  /** One signature OpenDKIM makes: {@code d=} and {@code s=}. */
  public record Signature(String domain, String selector) {
    @Override
    public String toString() {
      return "d=" + domain + " s=" + selector;
    }
  }

  private final boolean regularExpressions;
  private final List<Entry> entries;
  private final Map<String, KeyTableEntry> keyTable;
  private final boolean multiple;
  private final List<String> domains;
  private final String selector;
  private final boolean subdomains;

  private OpenDkimSigning(
      boolean regularExpressions,
      List<Entry> entries,
      Map<String, KeyTableEntry> keyTable,
      boolean multiple,
      List<String> domains,
      String selector,
      boolean subdomains) {
    this.regularExpressions = regularExpressions;
    this.entries = List.copyOf(entries);
    this.keyTable = Map.copyOf(keyTable);
    this.multiple = multiple;
    this.domains = domains.stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
    this.selector = selector;
    this.subdomains = subdomains;
  }

  /** Tables: a SigningTable ({@code refile:} or another dataset) and a KeyTable. */
  static OpenDkimSigning tables(
      boolean refile, List<Entry> entries, List<KeyTableEntry> keyTable, boolean multiple) {
    Map<String, KeyTableEntry> byName = new LinkedHashMap<>();
    keyTable.forEach(entry -> byName.putIfAbsent(entry.name(), entry));
    return new OpenDkimSigning(refile, entries, byName, multiple, List.of(), "", false);
  }

  /** {@code Domain}, {@code Selector} and {@code KeyFile}, no tables. */
  static OpenDkimSigning domains(List<String> domains, String selector, boolean subdomains) {
    return new OpenDkimSigning(false, List.of(), Map.of(), false, domains, selector, subdomains);
  }

  private boolean usesTables() {
    return !keyTable.isEmpty() || !entries.isEmpty();
  }

  public List<Entry> entries() {
    return entries;
  }

  public Optional<KeyTableEntry> key(String name) {
    return Optional.ofNullable(keyTable.get(name));
  }

  public List<String> domains() {
    return domains;
  }

  /** The signatures OpenDKIM adds to a message from {@code address}, in order. */
  public List<Signature> signatures(String address) {
    String lower = address.toLowerCase(Locale.ROOT);
    if (!usesTables()) {
      return byDomain(lower.substring(lower.lastIndexOf('@') + 1));
    }
    List<Signature> matches = matches(lower);
    if (!multiple) {
      return matches.isEmpty() ? List.of() : List.of(matches.get(0));
    }
    // OpenDKIM 2.11 appends each request after the first one's, never moving the tail
    // (dkimf_add_signrequest): of three or more matches only the first and the last sign.
    List<Signature> signatures = new ArrayList<>();
    if (!matches.isEmpty()) {
      signatures.add(matches.get(0));
      Signature last = matches.get(matches.size() - 1);
      if (!signatures.contains(last)) {
        signatures.add(last);
      }
    }
    return signatures;
  }

  /** How many different keys match {@code address}: what MultipleSignatures asks to sign with. */
  public long matchingKeys(String address) {
    return usesTables() ? matches(address.toLowerCase(Locale.ROOT)).stream().distinct().count() : 0;
  }

  /** The signature of every entry that matches {@code lower} and names a known key, in order. */
  private List<Signature> matches(String lower) {
    int at = lower.lastIndexOf('@');
    String domain = lower.substring(at + 1);
    List<Signature> matches = new ArrayList<>();
    for (Entry entry :
        regularExpressions ? matching(lower) : lookups(lower.substring(0, at), domain)) {
      KeyTableEntry key = keyTable.get(entry.keyName().equals("%") ? domain : entry.keyName());
      if (key != null) {
        matches.add(
            new Signature(key.domain().equals("%") ? domain : key.domain(), key.selector()));
      }
    }
    return matches;
  }

  private List<Signature> byDomain(String domain) {
    for (String candidate = domain; candidate != null; candidate = parent(candidate)) {
      if (domains.contains(candidate)) {
        return List.of(new Signature(candidate, selector));
      }
      if (!subdomains) {
        break;
      }
    }
    return List.of();
  }

  private static String parent(String domain) {
    int dot = domain.indexOf('.');
    return dot < 0 ? null : domain.substring(dot + 1);
  }

  /** refile: every entry whose pattern matches, in file order. */
  private List<Entry> matching(String address) {
    return entries.stream()
        .filter(entry -> pattern(entry.key()).matcher(address).matches())
        .toList();
  }

  /** OpenDKIM's dkimf_mkregexp: {@code *} is any characters, {@code .} and {@code +} literal. */
  static Pattern pattern(String wildcard) {
    String regex = wildcard.replace(".", "\\.").replace("+", "\\+").replace("*", ".*");
    return Pattern.compile(regex, Pattern.CASE_INSENSITIVE);
  }

  /** Other datasets: the keys OpenDKIM tries, most specific first, and what each finds. */
  private List<Entry> lookups(String user, String domain) {
    List<String> keys = new ArrayList<>(List.of(user + "@" + domain, domain));
    for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
      String suffix = domain.substring(dot);
      keys.add(user + "@" + suffix);
      keys.add(suffix);
    }
    keys.add(user + "@*");
    keys.add("*");
    List<Entry> found = new ArrayList<>();
    for (String key : keys) {
      entries.stream()
          .filter(entry -> entry.key().toLowerCase(Locale.ROOT).equals(key))
          .findFirst()
          .ifPresent(found::add);
    }
    return found;
  }
}
