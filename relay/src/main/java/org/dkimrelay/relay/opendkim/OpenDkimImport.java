package org.dkimrelay.relay.opendkim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.MilterAddress;
import org.dkimrelay.relay.config.SigningConfig;

/**
 * An OpenDKIM set-up as dkimrelay's keys and configuration, making the same signing decisions: the
 * keys with their selectors (the records in DNS keep verifying), the SigningTable and KeyTable as
 * {@code [[signing.rule]]}s in OpenDKIM's order, MultipleSignatures, the socket, InternalHosts,
 * canonicalization and headers. What cannot be reproduced is refused (an exception naming the line)
 * or listed by name in {@link Plan#notCarried()}.
 */
public final class OpenDkimImport {
  /** Keywords this import carries over; every other one gets a line in the notes. */
  private static final Set<String> CARRIED =
      Set.of(
          "mode",
          "socket",
          "domain",
          "selector",
          "keyfile",
          "keytable",
          "signingtable",
          "multiplesignatures",
          "internalhosts",
          "canonicalization",
          "signheaders",
          "oversignheaders",
          "subdomains");

  /** What dkimrelay does instead of an OpenDKIM keyword that concerns only OpenDKIM's process. */
  private static final Map<String, String> INSTEAD =
      Map.ofEntries(
          Map.entry(
              "userid",
              "dkimrelay runs as the systemd unit's user (import-opendkim --user gives it the"
                  + " files)"),
          Map.entry("umask", "[milter] socket-mode sets the socket's mode (default 0660)"),
          Map.entry(
              "syslog",
              "dkimrelay logs one line per message to stderr (the journal under systemd)"),
          Map.entry("syslogsuccess", "dkimrelay logs every message it signs"),
          Map.entry("logwhy", "[log] explain = true logs each signing decision"),
          Map.entry(
              "requiresafekeys",
              "dkimrelay always refuses a key file that others can read or replace"),
          Map.entry(
              "trustanchorfile", "dkimrelay verifies nothing, so needs no DNSSEC trust anchor"),
          Map.entry("pidfile", "systemd tracks dkimrelay's process"),
          Map.entry("autorestart", "the systemd unit restarts dkimrelay (Restart=on-failure)"),
          Map.entry("autorestartrate", "the systemd unit restarts dkimrelay (Restart=on-failure)"),
          Map.entry("background", "dkimrelay runs in the foreground under systemd"),
          Map.entry(
              "signaturealgorithm",
              "dkimrelay signs rsa-sha256 with RSA keys and ed25519-sha256 with Ed25519 keys,"
                  + " never rsa-sha1"));

  /** Regular-expression syntax in a refile pattern: OpenDKIM would treat it as such, we cannot. */
  private static final Pattern REGEX_SYNTAX = Pattern.compile("[\\[\\](){}?|^$\\\\]");

  private OpenDkimImport() {}

  /** One key to import: it is {@code domain}'s key with {@code selector}. */
  public record KeyEntry(SigningDomain domain, Selector selector, Path keyFile) {}

  /** The result: what to write into dkimrelay's keys directory and configuration. */
  public record Plan(
      List<KeyEntry> keys,
      List<SigningConfig.Rule> rules,
      boolean allMatches,
      Optional<Boolean> subdomains,
      Optional<MilterAddress> socket,
      Optional<List<Cidr>> internal,
      Optional<String> canonicalization,
      Optional<List<String>> signHeaders,
      Optional<List<String>> oversignHeaders,
      OpenDkimSigning openDkim,
      List<String> addresses,
      List<String> notCarried) {}

  /**
   * Reads {@code conf}; dataset files ({@code file:}, {@code refile:} or a plain path) are read
   * relative to {@code base}.
   *
   * @throws IllegalArgumentException for what cannot be understood or reproduced, naming it
   */
  public static Plan plan(OpenDkimConf conf, Path base) {
    List<String> notes = new ArrayList<>();
    String mode =
        conf.get("Mode").orElse("s"); // unset: OpenDKIM signs and verifies, nothing to say
    if (!mode.contains("s")) {
      notes.add(
          conf.spelling("mode")
              + " "
              + mode
              + ": OpenDKIM only verified here; dkimrelay signs (and never verifies)");
    } else if (mode.contains("v")) {
      notes.add(
          conf.spelling("mode")
              + " "
              + mode
              + ": verifying inbound mail is not dkimrelay's job; only signing is");
    }
    boolean allMatches = conf.get("MultipleSignatures").map(OpenDkimImport::yes).orElse(false);
    Tables tables =
        conf.get("KeyTable").isPresent() || conf.get("SigningTable").isPresent()
            ? fromTables(conf, base, allMatches, notes)
            : fromDomains(conf, base);
    for (String keyword : conf.keywords()) {
      if (!CARRIED.contains(keyword)) {
        notes.add(
            conf.spelling(keyword)
                + " "
                + conf.get(keyword).orElse("")
                + ": "
                + INSTEAD.getOrDefault(keyword, "not carried over"));
      }
    }
    return new Plan(
        tables.keys(),
        tables.rules(),
        allMatches,
        tables.subdomains(),
        conf.get("Socket").map(OpenDkimImport::socket),
        conf.get("InternalHosts").map(value -> internal(dataset(value, base), notes)),
        conf.get("Canonicalization").map(OpenDkimImport::canonicalization),
        conf.get("SignHeaders").map(value -> dataset(value, base)),
        conf.get("OversignHeaders").map(value -> dataset(value, base)),
        tables.openDkim(),
        addresses(tables.openDkim(), tables.keys()),
        notes);
  }

  private record Tables(
      List<KeyEntry> keys,
      List<SigningConfig.Rule> rules,
      Optional<Boolean> subdomains,
      OpenDkimSigning openDkim) {}

  /** Domain, Selector and KeyFile: the keys directory's own table, subdomains as OpenDKIM's. */
  private static Tables fromDomains(OpenDkimConf conf, Path base) {
    Optional<String> keyFile = conf.get("KeyFile");
    if (keyFile.isEmpty()) {
      throw new IllegalArgumentException("no KeyTable and no KeyFile: nothing to import");
    }
    String selectorName =
        conf.get("Selector")
            .orElseThrow(() -> new IllegalArgumentException("KeyFile without Selector"));
    Selector selector = selector(selectorName, "Selector");
    List<String> domains =
        dataset(
            conf.get("Domain")
                .orElseThrow(() -> new IllegalArgumentException("KeyFile without Domain")),
            base);
    List<KeyEntry> keys = new ArrayList<>();
    for (String domain : domains) {
      keys.add(new KeyEntry(domain(domain, "Domain"), selector, base.resolve(keyFile.get())));
    }
    // OpenDKIM's SubDomains is off unless set. With it, a subdomain is signed as its nearest
    // listed parent with i=@PARENT (OpenDKIM sets the identity then): rules say both exactly.
    boolean subdomains = conf.get("SubDomains").map(OpenDkimImport::yes).orElse(false);
    List<SigningConfig.Rule> rules = new ArrayList<>();
    for (KeyEntry key : keys) {
      rules.add(
          new SigningConfig.Rule(
              "*@" + key.domain().name(),
              List.of(key.domain().name() + "/" + selector.value()),
              Optional.empty()));
    }
    if (subdomains) {
      keys.stream()
          .sorted(Comparator.comparingInt((KeyEntry key) -> -labels(key.domain().name())))
          .forEach(
              key ->
                  rules.add(
                      new SigningConfig.Rule(
                          "*@*." + key.domain().name(),
                          List.of(key.domain().name() + "/" + selector.value()),
                          Optional.of("@" + key.domain().name()))));
    }
    return new Tables(
        keys,
        rules,
        Optional.empty(),
        OpenDkimSigning.domains(
            keys.stream().map(key -> key.domain().name()).toList(), selectorName, subdomains));
  }

  private static Tables fromTables(
      OpenDkimConf conf, Path base, boolean allMatches, List<String> notes) {
    String keyTableValue =
        conf.get("KeyTable")
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "SigningTable without KeyTable: no key would sign"));
    String signingTableValue =
        conf.get("SigningTable")
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "KeyTable without SigningTable: no key would sign"));
    List<OpenDkimSigning.KeyTableEntry> keyTable = keyTable(dataset(keyTableValue, base));
    boolean refile = signingTableValue.startsWith("refile:");
    List<OpenDkimSigning.Entry> entries = signingTable(dataset(signingTableValue, base), refile);
    OpenDkimSigning openDkim = OpenDkimSigning.tables(refile, entries, keyTable, allMatches);
    for (String keyword : List.of("domain", "keyfile", "selector")) {
      conf.get(keyword)
          .ifPresent(
              value ->
                  notes.add(
                      conf.spelling(keyword)
                          + " "
                          + value
                          + ": OpenDKIM's SigningTable decides here, as dkimrelay's rules will"));
    }

    List<OpenDkimSigning.Entry> ordered = refile ? entries : lookupOrder(entries);
    List<SigningConfig.Rule> rules = new ArrayList<>();
    Map<String, List<OpenDkimSigning.Entry>> users = new LinkedHashMap<>();
    for (OpenDkimSigning.Entry entry : ordered) {
      OpenDkimSigning.KeyTableEntry key =
          openDkim
              .key(entry.keyName())
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "SigningTable "
                              + entry.key()
                              + ": no key named "
                              + entry.keyName()
                              + " in the KeyTable"));
      users.computeIfAbsent(key.name(), name -> new ArrayList<>()).add(entry);
      String reference =
          (key.domain().equals("%") ? "%" : domain(key.domain(), "KeyTable " + key.name()).name())
              + "/"
              + selector(key.selector(), "KeyTable " + key.name()).value();
      rules.add(
          new SigningConfig.Rule(
              refile ? entry.key() : glob(entry.key()), List.of(reference), entry.signer()));
    }
    List<KeyEntry> keys = new ArrayList<>();
    for (OpenDkimSigning.KeyTableEntry key : keyTable) {
      if (!users.containsKey(key.name())) {
        notes.add(
            "KeyTable "
                + key.name()
                + " "
                + key.domain()
                + ":"
                + key.selector()
                + ": in no SigningTable line, not imported");
      } else {
        keys.addAll(keyFiles(key, users.get(key.name()), base, notes));
      }
    }
    return new Tables(keys, rules, Optional.empty(), openDkim);
  }

  /** KeyTable lines: {@code NAME DOMAIN:SELECTOR:KEYFILE}. */
  private static List<OpenDkimSigning.KeyTableEntry> keyTable(List<String> lines) {
    List<OpenDkimSigning.KeyTableEntry> table = new ArrayList<>();
    for (String line : lines) {
      String[] parts = line.split("\\s+", 2);
      String[] fields = parts.length == 2 ? parts[1].strip().split(":", 3) : new String[0];
      if (fields.length != 3) {
        throw new IllegalArgumentException(
            "KeyTable line '" + line + "': expected NAME DOMAIN:SELECTOR:KEYFILE");
      }
      table.add(new OpenDkimSigning.KeyTableEntry(parts[0], fields[0], fields[1], fields[2]));
    }
    return table;
  }

  /** SigningTable lines: {@code KEY KEYNAME[:SIGNER]} (the value's fields split at a colon). */
  private static List<OpenDkimSigning.Entry> signingTable(List<String> lines, boolean refile) {
    List<OpenDkimSigning.Entry> entries = new ArrayList<>();
    for (String line : lines) {
      String[] parts = line.split("\\s+", 2);
      if (parts.length < 2) {
        throw new IllegalArgumentException(
            "SigningTable line '" + line + "': expected PATTERN KEYNAME");
      }
      String[] value = parts[1].strip().split(":", 2);
      if (value[0].equals("%")) {
        throw new IllegalArgumentException(
            "SigningTable "
                + parts[0]
                + " %: a key named by the From domain is not imported; name the KeyTable entry"
                + " (a KeyTable domain of % is: the From domain's own key)");
      }
      if (refile && REGEX_SYNTAX.matcher(parts[0]).find()) {
        throw new IllegalArgumentException(
            "SigningTable "
                + parts[0]
                + ": OpenDKIM reads this as a regular expression; dkimrelay's patterns know only *:"
                + " rewrite it with * alone");
      }
      if (!refile && parts[0].contains("*") && !parts[0].equals("*") && !parts[0].endsWith("@*")) {
        throw new IllegalArgumentException(
            "SigningTable "
                + parts[0]
                + ": this table is not refile:, so OpenDKIM looks up user@host, host, user@.domain,"
                + " .domain, user@* and * literally and this line never matches; write the table as"
                + " SigningTable refile:FILE for patterns, or the entry as "
                + parts[0].replace("*@", "").replace("*", "")
                + " (a domain)");
      }
      entries.add(
          new OpenDkimSigning.Entry(
              parts[0], value[0], value.length == 2 ? Optional.of(value[1]) : Optional.empty()));
    }
    return entries;
  }

  /**
   * A lookup table's entries in the order OpenDKIM tries them for any one address: user@host, host,
   * then user@.domain before .domain for each suffix, longest first, then user@*, then *. For any
   * address the entries that apply come in OpenDKIM's order, so ordered rules decide alike.
   */
  private static List<OpenDkimSigning.Entry> lookupOrder(List<OpenDkimSigning.Entry> entries) {
    return entries.stream()
        .sorted(
            Comparator.comparingInt((OpenDkimSigning.Entry e) -> rank(e.key()))
                .thenComparing(e -> -labels(e.key()))
                .thenComparing(e -> e.key().startsWith(".") ? 1 : 0))
        .toList();
  }

  private static int rank(String key) {
    if (key.equals("*")) {
      return 4;
    }
    if (key.endsWith("@*")) {
      return 3;
    }
    String domain = key.substring(key.lastIndexOf('@') + 1);
    if (domain.startsWith(".")) {
      return 2;
    }
    return key.contains("@") ? 0 : 1;
  }

  private static int labels(String key) {
    return key.substring(key.lastIndexOf('@') + 1).split("\\.", -1).length;
  }

  /** A lookup key as a pattern that matches what OpenDKIM's lookup of it finds. */
  private static String glob(String key) {
    return switch (rank(key)) {
      case 0, 3, 4 -> key;
      case 1 -> "*@" + key;
      default -> {
        int at = key.lastIndexOf('@');
        yield (at < 0 ? "*" : key.substring(0, at)) + "@*" + key.substring(at + 1);
      }
    };
  }

  /**
   * The key files a KeyTable entry stands for: one; with a KeyTable domain of {@code %} and a
   * {@code %} in the path, one per domain that has such a file; with {@code %} and one file, a copy
   * for each domain the SigningTable names for it.
   */
  private static List<KeyEntry> keyFiles(
      OpenDkimSigning.KeyTableEntry key,
      List<OpenDkimSigning.Entry> users,
      Path base,
      List<String> notes) {
    Selector selector = selector(key.selector(), "KeyTable " + key.name());
    if (!key.domain().equals("%")) {
      SigningDomain domain = domain(key.domain(), "KeyTable " + key.name());
      return List.of(
          new KeyEntry(domain, selector, base.resolve(key.keyFile().replace("%", domain.name()))));
    }
    if (key.keyFile().contains("%")) {
      List<KeyEntry> found = perDomainFiles(key, selector, base);
      if (found.isEmpty()) {
        notes.add(
            "KeyTable "
                + key.name()
                + " %:"
                + key.selector()
                + ":"
                + key.keyFile()
                + ": no key file found for any domain, nothing imported");
      }
      return found;
    }
    List<KeyEntry> copies = new ArrayList<>();
    for (OpenDkimSigning.Entry user : users) {
      Optional<String> domain = concreteDomain(user.key());
      if (domain.isPresent()) {
        KeyEntry copy =
            new KeyEntry(
                domain(domain.get(), "SigningTable " + user.key()),
                selector,
                base.resolve(key.keyFile()));
        if (!copies.contains(copy)) {
          copies.add(copy);
        }
      } else {
        notes.add(
            "SigningTable "
                + user.key()
                + " "
                + key.name()
                + ": one key (KeyTable %) for any domain; imported for "
                + (copies.isEmpty()
                    ? "no domain yet"
                    : String.join(", ", copies.stream().map(c -> c.domain().name()).toList()))
                + "; for another: dkimrelay keys import "
                + base.resolve(key.keyFile())
                + " --domain DOMAIN --selector "
                + key.selector());
      }
    }
    return copies;
  }

  /** The domain a SigningTable key names exactly ({@code *@D}, {@code user@D}, {@code D}). */
  private static Optional<String> concreteDomain(String key) {
    String domain = key.substring(key.lastIndexOf('@') + 1);
    return domain.contains("*") || domain.startsWith(".") || domain.isEmpty()
        ? Optional.empty()
        : Optional.of(domain);
  }

  /** Files matching a KeyTable path with {@code %} in it: the {@code %} part is the domain. */
  private static List<KeyEntry> perDomainFiles(
      OpenDkimSigning.KeyTableEntry key, Selector selector, Path base) {
    String path = base.resolve(key.keyFile()).toString();
    int first = path.indexOf('%');
    Path root = Path.of(path.substring(0, path.lastIndexOf('/', first) + 1));
    String[] parts = path.split("%", -1);
    StringBuilder regex = new StringBuilder(Pattern.quote(parts[0]) + "([^/]+)");
    for (int i = 1; i < parts.length; i++) {
      regex.append(Pattern.quote(parts[i]));
      if (i < parts.length - 1) {
        regex.append("\\1");
      }
    }
    Pattern pattern = Pattern.compile(regex.toString());
    List<KeyEntry> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root, 4)) {
      for (Path file : files.sorted().toList()) {
        Matcher matcher = pattern.matcher(file.toString());
        if (matcher.matches() && Files.isRegularFile(file)) {
          found.add(
              new KeyEntry(domain(matcher.group(1), "KeyTable " + key.name()), selector, file));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + root + ": " + e.getMessage(), e);
    }
    return found;
  }

  /**
   * Addresses that show what the tables decide: each pattern made concrete, and for each domain
   * named anywhere the domain itself and a subdomain; one stranger.
   */
  private static List<String> addresses(OpenDkimSigning openDkim, List<KeyEntry> keys) {
    Set<String> addresses = new LinkedHashSet<>();
    Set<String> domains = new LinkedHashSet<>();
    for (OpenDkimSigning.Entry entry : openDkim.entries()) {
      String key = entry.key().toLowerCase(Locale.ROOT);
      int at = key.lastIndexOf('@');
      String user = at < 0 ? "*" : key.substring(0, at);
      String domain = at < 0 ? key : key.substring(at + 1);
      if (domain.startsWith(".")) {
        domain = "*" + domain;
      }
      if (domain.equals("*")) {
        continue;
      }
      String concrete = domain.replaceFirst("^\\*\\.", "sub.").replace("*", "x");
      addresses.add(user.replace("*", "user") + "@" + concrete);
      domains.add(concrete.startsWith("sub.") ? concrete.substring(4) : concrete);
    }
    keys.forEach(key -> domains.add(key.domain().name()));
    openDkim.domains().forEach(domains::add);
    for (String domain : domains) {
      addresses.add("user@" + domain);
      addresses.add("user@sub." + domain);
    }
    addresses.add("user@stranger.example");
    return List.copyOf(addresses);
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
      return Stream.of(list.split("[,\\s]+")).filter(item -> !item.isEmpty()).toList();
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

  private static SigningDomain domain(String text, String where) {
    try {
      return SigningDomain.parse(text);
    } catch (KeyToolException e) {
      throw new IllegalArgumentException(where + ": '" + text + "' is not a domain");
    }
  }

  private static Selector selector(String text, String where) {
    try {
      return Selector.parse(text);
    } catch (KeyToolException e) {
      throw new IllegalArgumentException(where + ": '" + text + "' is not a selector");
    }
  }

  /**
   * Whether a unix socket lies in Postfix's queue directory (Debian's chroot, where OpenDKIM's
   * socket goes): Postfix's processes, group postfix, must reach it.
   */
  public static boolean inPostfixSpool(Path socket) {
    return socket.toAbsolutePath().normalize().startsWith(Path.of("/var/spool/postfix"));
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
                + ": only addresses and ranges are carried over (add it to [milter] internal by"
                + " address)");
      }
    }
    return ranges;
  }

  private static String canonicalization(String value) {
    String pair = value.toLowerCase(Locale.ROOT).strip();
    return pair.contains("/") ? pair : pair + "/simple"; // RFC 6376 §3.5: body defaults to simple
  }

  private static boolean yes(String value) {
    return List.of("yes", "true", "1", "on").contains(value.toLowerCase(Locale.ROOT).strip());
  }
}
