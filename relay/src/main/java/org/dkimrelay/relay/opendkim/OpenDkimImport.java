package org.dkimrelay.relay.opendkim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.MilterAddress;

/**
 * What of an OpenDKIM set-up dkimrelay can carry over: the keys with their selectors (so the
 * records in DNS keep verifying), the socket, InternalHosts, canonicalization, the signed and
 * oversigned headers, SubDomains; and, in {@link Plan#notCarried()}, everything else, said.
 */
public final class OpenDkimImport {
  /** Keywords carried over, or that matter only to OpenDKIM's own process: nothing to say. */
  private static final Set<String> CARRIED_OR_PROCESS_ONLY =
      Set.of(
          "syslog",
          "syslogsuccess",
          "logwhy",
          "userid",
          "umask",
          "pidfile",
          "trustanchorfile",
          "requiresafekeys",
          "autorestart",
          "autorestartrate",
          "background",
          "signaturealgorithm",
          "socket",
          "mode",
          "domain",
          "selector",
          "keyfile",
          "keytable",
          "signingtable",
          "internalhosts",
          "canonicalization",
          "signheaders",
          "oversignheaders",
          "subdomains");

  private OpenDkimImport() {}

  /** One key to import: it signs mail from {@code domain} with {@code selector}. */
  public record KeyEntry(SigningDomain domain, Selector selector, Path keyFile) {}

  /** The result: what to write into dkimrelay's keys directory and configuration. */
  public record Plan(
      List<KeyEntry> keys,
      Optional<MilterAddress> socket,
      Optional<List<Cidr>> internal,
      Optional<String> canonicalization,
      Optional<List<String>> signHeaders,
      Optional<List<String>> oversignHeaders,
      Optional<Boolean> subdomains,
      List<String> notCarried) {}

  /**
   * Reads {@code conf}; dataset files ({@code file:}, {@code refile:} or a plain path) are read
   * relative to {@code base}.
   *
   * @throws IllegalArgumentException for what cannot be understood, naming the keyword
   */
  public static Plan plan(OpenDkimConf conf, Path base) {
    List<String> notes = new ArrayList<>();
    String mode =
        conf.get("Mode").orElse("s"); // unset: OpenDKIM signs and verifies, nothing to say
    if (!mode.contains("s")) {
      notes.add(
          "Mode " + mode + ": OpenDKIM only verified here; dkimrelay signs (and never verifies)");
    } else if (mode.contains("v")) {
      notes.add(
          "Mode " + mode + ": verifying inbound mail is not dkimrelay's job; only signing is");
    }
    Set<Boolean> wildcardSubdomains = new LinkedHashSet<>();
    List<KeyEntry> keys = keys(conf, base, notes, wildcardSubdomains);
    Optional<Boolean> subdomains =
        conf.get("SubDomains")
            .map(OpenDkimImport::yes)
            .or(() -> wildcardSubdomains.stream().findFirst());
    for (String keyword : conf.keywords()) {
      if (!CARRIED_OR_PROCESS_ONLY.contains(keyword)) {
        notes.add(keyword + " " + conf.get(keyword).orElse("") + ": not carried over");
      }
    }
    return new Plan(
        keys,
        conf.get("Socket").map(OpenDkimImport::socket),
        conf.get("InternalHosts").map(value -> internal(dataset(value, base), notes)),
        conf.get("Canonicalization").map(OpenDkimImport::canonicalization),
        conf.get("SignHeaders").map(value -> headers(value, base)),
        conf.get("OversignHeaders").map(value -> headers(value, base)),
        subdomains,
        notes);
  }

  private static List<KeyEntry> keys(
      OpenDkimConf conf, Path base, List<String> notes, Set<Boolean> wildcardSubdomains) {
    if (conf.get("KeyTable").isPresent()) {
      Map<String, KeyEntry> table = keyTable(dataset(conf.get("KeyTable").get(), base), base);
      Optional<String> signingTable = conf.get("SigningTable");
      if (signingTable.isEmpty()) {
        throw new IllegalArgumentException("KeyTable without SigningTable: no key would sign");
      }
      return signedKeys(table, dataset(signingTable.get(), base), notes, wildcardSubdomains);
    }
    Optional<String> keyFile = conf.get("KeyFile");
    if (keyFile.isEmpty()) {
      throw new IllegalArgumentException("no KeyTable and no KeyFile: nothing to import");
    }
    Selector selector =
        Selector.parse(
            conf.get("Selector")
                .orElseThrow(() -> new IllegalArgumentException("KeyFile without Selector")));
    List<KeyEntry> keys = new ArrayList<>();
    String domains =
        conf.get("Domain")
            .orElseThrow(() -> new IllegalArgumentException("KeyFile without Domain"));
    for (String domain : dataset(domains, base)) {
      keys.add(new KeyEntry(SigningDomain.parse(domain), selector, base.resolve(keyFile.get())));
    }
    return keys;
  }

  /** KeyTable lines: {@code NAME DOMAIN:SELECTOR:KEYPATH}. */
  private static Map<String, KeyEntry> keyTable(List<String> lines, Path base) {
    Map<String, KeyEntry> table = new LinkedHashMap<>();
    for (String line : lines) {
      String[] parts = line.split("\\s+", 2);
      String[] fields = parts.length == 2 ? parts[1].split(":", 3) : new String[0];
      if (fields.length != 3) {
        throw new IllegalArgumentException(
            "KeyTable line '" + line + "': expected NAME DOMAIN:SELECTOR:KEYFILE");
      }
      table.put(
          parts[0],
          new KeyEntry(
              SigningDomain.parse(fields[0]), Selector.parse(fields[1]), base.resolve(fields[2])));
    }
    return table;
  }

  /**
   * SigningTable lines: {@code PATTERN KEYNAME...}. dkimrelay signs mail from a domain with that
   * domain's keys (and a parent's, with subdomains), so a pattern becomes the key's own domain.
   */
  private static List<KeyEntry> signedKeys(
      Map<String, KeyEntry> keyTable,
      List<String> lines,
      List<String> notes,
      Set<Boolean> wildcardSubdomains) {
    Set<KeyEntry> used = new LinkedHashSet<>();
    for (String line : lines) {
      used.addAll(signingTableLine(line, keyTable, notes, wildcardSubdomains));
    }
    for (KeyEntry key : keyTable.values()) {
      if (!used.contains(key)) {
        notes.add(
            "KeyTable key "
                + key.domain()
                + " "
                + key.selector()
                + ": in no SigningTable line, not imported");
      }
    }
    return new ArrayList<>(used);
  }

  /** The keys one SigningTable line signs with; what cannot be carried over goes to notes. */
  private static List<KeyEntry> signingTableLine(
      String line,
      Map<String, KeyEntry> keyTable,
      List<String> notes,
      Set<Boolean> wildcardSubdomains) {
    String[] parts = line.split("\\s+");
    if (parts.length < 2) {
      throw new IllegalArgumentException(
          "SigningTable line '" + line + "': expected PATTERN KEYNAME");
    }
    String pattern = parts[0].toLowerCase(Locale.ROOT);
    boolean perAddress = pattern.contains("@") && !pattern.matches("\\*?@.*");
    String domain = pattern.substring(pattern.indexOf('@') + 1);
    boolean wildcard = domain.startsWith("*.") || domain.startsWith(".");
    domain = domain.replaceFirst("^\\*?\\.", "");
    if (domain.contains("*")) {
      notes.add("SigningTable " + parts[0] + ": wildcard patterns are not carried over");
      return List.of();
    }
    if (perAddress) {
      notes.add(
          "SigningTable "
              + parts[0]
              + ": dkimrelay signs by From domain, not by address: all of "
              + domain
              + " is signed");
    }
    List<KeyEntry> keys = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      KeyEntry key = keyTable.get(parts[i]);
      if (key == null) {
        throw new IllegalArgumentException(
            "SigningTable line '" + line + "': no key named " + parts[i] + " in the KeyTable");
      }
      String keyDomain = key.domain().name();
      if (!domain.equals(keyDomain) && !domain.endsWith("." + keyDomain)) {
        notes.add(
            "SigningTable "
                + parts[0]
                + " signs with d="
                + keyDomain
                + ": dkimrelay signs mail from a domain only with its own keys or a parent"
                + " domain's (subdomains = true)");
      }
      if (wildcard || !domain.equals(keyDomain)) {
        wildcardSubdomains.add(true);
      }
      keys.add(key);
    }
    return keys;
  }

  /** A dataset (opendkim.conf(5)): {@code file:}, {@code refile:}, a path, or a list. */
  static List<String> dataset(String value, Path base) {
    String path = null;
    if (value.startsWith("file:") || value.startsWith("refile:")) {
      path = value.substring(value.indexOf(':') + 1);
    } else if (value.startsWith("/") || value.startsWith("./")) {
      path = value;
    }
    if (path == null) {
      String list = value.startsWith("csl:") ? value.substring(4) : value;
      return List.of(list.split("[,\\s]+")).stream().filter(item -> !item.isEmpty()).toList();
    }
    try {
      return Files.readAllLines(base.resolve(path)).stream()
          .map(line -> OpenDkimConf.stripComment(line).strip())
          .filter(line -> !line.isEmpty())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read " + base.resolve(path) + ": " + e.getMessage(), e);
    }
  }

  private static MilterAddress socket(String value) {
    try {
      return MilterAddress.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Socket " + value + ": " + e.getMessage());
    }
  }

  /** InternalHosts entries: addresses and CIDR ranges carry over; host names do not. */
  private static List<Cidr> internal(List<String> hosts, List<String> notes) {
    List<Cidr> ranges = new ArrayList<>();
    for (String host : hosts) {
      String item = host.startsWith("!") ? null : host;
      if (item != null && item.matches("[0-9A-Fa-f.:]+(/\\d+)?")) {
        ranges.add(
            Cidr.parse(item.contains("/") ? item : item + (item.contains(":") ? "/128" : "/32")));
      } else {
        notes.add(
            "InternalHosts "
                + host
                + ": only addresses and ranges are carried over (add it to [milter] internal by address)");
      }
    }
    return ranges;
  }

  private static String canonicalization(String value) {
    String pair = value.toLowerCase(Locale.ROOT).strip();
    return pair.contains("/") ? pair : pair + "/simple"; // RFC 6376 §3.5: body defaults to simple
  }

  private static List<String> headers(String value, Path base) {
    return dataset(value, base);
  }

  private static boolean yes(String value) {
    return List.of("yes", "true", "1", "on").contains(value.toLowerCase(Locale.ROOT).strip());
  }
}
