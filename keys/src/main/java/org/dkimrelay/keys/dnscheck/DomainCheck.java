package org.dkimrelay.keys.dnscheck;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.PublishedKeyRecord;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.keys.TagList;
import org.dkimrelay.keys.dnscheck.DnsQuery.DnsFailure;

/**
 * Looks up what a sending domain has published and says, record by record, pass/warn/fail and the
 * exact record to publish when it is not right: DKIM for every local key, SPF, DMARC, MX, PTR. Pure
 * apart from the {@link DnsQuery} it is given.
 */
public final class DomainCheck {
  private final DnsQuery dns;

  public DomainCheck(DnsQuery dns) {
    this.dns = dns;
  }

  /** What the check knows beyond the domain: its keys, and optionally the sending IP and HELO. */
  public record Inputs(
      SigningDomain domain, List<DkimKey> keys, Optional<InetAddress> ip, Optional<String> helo) {
    public Inputs {
      keys = List.copyOf(keys);
    }
  }

  public List<Finding> check(Inputs in) {
    List<Finding> findings = new ArrayList<>();
    String domain = in.domain().name();
    if (in.keys().isEmpty()) {
      findings.add(
          Finding.warn(
              "DKIM", domain, "no local key for " + domain, "run: dkimrelay keygen " + domain));
    }
    for (DkimKey key : in.keys()) {
      findings.add(dkim(key));
    }
    MailHostCheck host = new MailHostCheck(dns);
    List<DnsQuery.Mx> mx = new ArrayList<>();
    List<Finding> mxFindings = host.mx(domain, mx);
    findings.addAll(mxFindings);
    Optional<InetAddress> ip = in.ip().isPresent() ? in.ip() : host.firstAddress(mx);
    findings.add(spf(domain, ip));
    findings.add(dmarc(domain));
    tlsReporting(domain).ifPresent(findings::add);
    mtaSts(domain).ifPresent(findings::add);
    Optional<String> expected = in.helo().or(() -> mx.stream().findFirst().map(DnsQuery.Mx::host));
    boolean mxHostBroken =
        in.helo().isEmpty()
            && !mxFindings.isEmpty()
            && mxFindings.get(0).status() == Finding.Status.FAIL;
    findings.add(host.ptr(ip, expected, mxHostBroken));
    return findings;
  }

  /** The DKIM record of one key: present, one RRset, parses, same type and key, not testing. */
  public Finding dkim(DkimKey key) {
    String name = key.selector().recordName(key.domain());
    String bare = name.substring(0, name.length() - 1);
    String publish = "publish: " + key.txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine();
    List<String> records;
    try {
      records = dns.txt(bare);
    } catch (DnsFailure e) {
      return Finding.lookupFailed("DKIM", bare, e);
    }
    if (records.isEmpty()) {
      return Finding.fail("DKIM", bare, "no record" + doubledName(bare, key), publish);
    }
    if (records.size() > 1) {
      return Finding.fail(
          "DKIM",
          bare,
          records.size() + " TXT records at one selector: verifiers may pick any",
          "keep only: " + key.txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine());
    }
    PublishedKeyRecord published;
    try {
      published = PublishedKeyRecord.parse(records.get(0));
    } catch (KeyToolException e) {
      return Finding.fail(
          "DKIM", bare, "record does not parse: " + e.getMessage() + cut(records.get(0)), publish);
    }
    if (published.revoked()) {
      return Finding.fail(
          "DKIM", bare, "revoked (p= is empty) but the local key still exists", publish);
    }
    if (published.algorithm() != key.algorithm()) {
      return Finding.fail(
          "DKIM",
          bare,
          "k="
              + published.algorithm().keyType()
              + ", the local key is "
              + key.algorithm().keyType(),
          publish);
    }
    if (!Arrays.equals(published.publicKey().orElseThrow(), key.dnsPublicKey())) {
      return Finding.fail(
          "DKIM", bare, "the published key is not the local key" + cut(records.get(0)), publish);
    }
    if (published.testing()) {
      return Finding.warn(
          "DKIM",
          bare,
          "matches, but t=y (testing): receivers treat failures as unsigned",
          "remove t=y: " + key.txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine());
    }
    return Finding.pass(
        "DKIM", bare, "published key matches " + key.selector() + " (" + key.describe() + ")");
  }

  /**
   * A zone-file line without the dot after its name puts the record at NAME.ORIGIN: for a key the
   * record then sits at sel._domainkey.example.com.example.com, which is worth saying.
   */
  private String doubledName(String name, DkimKey key) {
    String doubled = name + "." + key.domain().name();
    try {
      if (!dns.txt(doubled).isEmpty()) {
        return "; it is at "
            + doubled
            + ": the zone line lacks the dot after the name (write "
            + name
            + ". with the dot, or "
            + key.selector().value()
            + "._domainkey alone)";
      }
    } catch (DnsFailure e) {
      // the first lookup worked; this one is only a hint
    }
    return "";
  }

  /**
   * A value of exactly 255 characters is one quoted string of the zone line: the rest of the key
   * (the next string) was lost on the way into the zone (RFC 1035 §3.3: at most 255 a string).
   */
  private static String cut(String value) {
    return value.length() == 255
        ? "; the value is exactly 255 characters: its second quoted string is missing (paste"
            + " every string of the zone line)"
        : "";
  }

  private Finding spf(String domain, Optional<InetAddress> ip) {
    String record;
    try {
      record = SpfEvaluator.record(dns.txt(domain), domain);
    } catch (DnsFailure e) {
      return Finding.lookupFailed("SPF", domain, e);
    } catch (SpfEvaluator.PermError e) {
      return Finding.fail("SPF", domain, e.getMessage(), "merge them into one v=spf1 record");
    }
    String suggestion =
        "publish: "
            + domain
            + ". 3600 IN TXT \"v=spf1 "
            + ip.map(DomainCheck::spfTerm).orElse("ip4:<your sending IP>")
            + " -all\"";
    if (record == null) {
      return Finding.fail("SPF", domain, "no v=spf1 record", suggestion);
    }
    String lower = record.toLowerCase(Locale.ROOT);
    if (lower.matches(".*(^|\\s)\\+?all(\\s|$).*")) {
      return Finding.fail(
          "SPF", domain, record + " (+all lets anyone send as " + domain + ")", suggestion);
    }
    if (ip.isEmpty()) {
      return Finding.warn("SPF", domain, record + " (not evaluated: no sending IP; give --ip)");
    }
    SpfEvaluator.Result result = new SpfEvaluator(dns).evaluate(ip.get(), domain);
    String found =
        record
            + " → "
            + result.result()
            + " for "
            + ip.get().getHostAddress()
            + (result.detail().isEmpty() ? "" : ": " + result.detail());
    return spfVerdict(domain, record, result, found, lower.contains("~all"), ip.get());
  }

  /** What the SPF evaluation of the sending IP means for the admin. */
  private static Finding spfVerdict(
      String domain,
      String record,
      SpfEvaluator.Result result,
      String found,
      boolean softfail,
      InetAddress ip) {
    return switch (result.result()) {
      case "pass" ->
          softfail
              ? Finding.warn(
                  "SPF",
                  domain,
                  found + "; ends in ~all (softfail)",
                  "once DMARC is enforced, -all is the clearer policy")
              : Finding.pass("SPF", domain, found);
      case "temperror" ->
          new Finding(
              Finding.Status.FAIL,
              "SPF",
              domain,
              found + " (lookup failed, not a missing record)",
              Finding.lookupFix(result.failure()));
      case "permerror" ->
          Finding.fail("SPF", domain, found, "fix the record; receivers treat it as broken");
      default ->
          Finding.fail(
              "SPF",
              domain,
              found,
              "publish: " + domain + ". 3600 IN TXT \"" + withTerm(record, spfTerm(ip)) + "\"");
    };
  }

  /**
   * The admin's SPF record with {@code term} added where it counts: before the {@code all} (or
   * {@code redirect=}) that ends the evaluation (RFC 7208 §4.6, §6.1), else at the end.
   */
  static String withTerm(String record, String term) {
    List<String> words = new ArrayList<>(List.of(record.trim().split("\\s+")));
    int at = words.size();
    for (int i = 1; i < words.size(); i++) {
      String word = words.get(i).toLowerCase(Locale.ROOT);
      if (word.matches("[-~?+]?all") || word.startsWith("redirect=")) {
        at = i;
        break;
      }
    }
    words.add(at, term);
    return String.join(" ", words);
  }

  private static String spfTerm(InetAddress ip) {
    return (ip.getAddress().length == 4 ? "ip4:" : "ip6:") + ip.getHostAddress();
  }

  /** TLS-RPT (RFC 8460 §3), when the domain publishes it: one record, with reachable rua URIs. */
  private Optional<Finding> tlsReporting(String domain) {
    String name = "_smtp._tls." + domain;
    String publish =
        "publish: " + name + ". 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@" + domain + "\"";
    List<String> records;
    try {
      records = versioned(name, "v=tlsrptv1");
    } catch (DnsFailure e) {
      return Optional.of(Finding.lookupFailed("TLS", name, e));
    }
    if (records.isEmpty()) {
      return Optional.empty(); // optional: dns --tls-rpt proposes it
    }
    if (records.size() > 1) {
      return Optional.of(
          Finding.fail(
              "TLS", name, records.size() + " TLS-RPT records: senders use none", publish));
    }
    try {
      String rua = TagList.parse(records.get(0)).getOrDefault("rua", "");
      boolean usable =
          !rua.isEmpty()
              && List.of(rua.split(",")).stream()
                  .map(String::strip)
                  .allMatch(uri -> uri.startsWith("mailto:") || uri.startsWith("https:"));
      return Optional.of(
          usable
              ? Finding.pass("TLS", name, records.get(0))
              : Finding.fail(
                  "TLS", name, records.get(0) + " (rua= must be mailto: or https: URIs)", publish));
    } catch (KeyToolException e) {
      return Optional.of(Finding.fail("TLS", name, "does not parse: " + e.getMessage(), publish));
    }
  }

  /**
   * MTA-STS's DNS side (RFC 8461 §3.1), when published: one record with an id of 1 to 32 letters
   * and digits. The policy file itself is served over HTTPS, which check does not fetch.
   */
  private Optional<Finding> mtaSts(String domain) {
    String name = "_mta-sts." + domain;
    List<String> records;
    try {
      records = versioned(name, "v=stsv1");
    } catch (DnsFailure e) {
      return Optional.of(Finding.lookupFailed("STS", name, e));
    }
    if (records.isEmpty()) {
      return Optional.empty(); // optional: dns --mta-sts proposes it
    }
    String publish =
        "publish: "
            + name
            + ". 3600 IN TXT \"v=STSv1; id=YYYYMMDDhhmmss\" (the date of the policy)";
    if (records.size() > 1) {
      return Optional.of(
          Finding.fail(
              "STS", name, records.size() + " MTA-STS records: senders use none", publish));
    }
    try {
      String id = TagList.parse(records.get(0)).getOrDefault("id", "");
      return Optional.of(
          id.matches("[A-Za-z0-9]{1,32}")
              ? Finding.pass(
                  "STS",
                  name,
                  records.get(0)
                      + " (the policy at https://mta-sts."
                      + domain
                      + "/.well-known/mta-sts.txt is not fetched here)")
              : Finding.fail(
                  "STS",
                  name,
                  records.get(0) + " (id= must be 1 to 32 letters and digits)",
                  publish));
    } catch (KeyToolException e) {
      return Optional.of(Finding.fail("STS", name, "does not parse: " + e.getMessage(), publish));
    }
  }

  /** The TXT records at {@code name} that start with {@code version} ({@code v=...}, any case). */
  private List<String> versioned(String name, String version) throws DnsFailure {
    return dns.txt(name).stream()
        .filter(t -> t.toLowerCase(Locale.ROOT).replace(" ", "").startsWith(version))
        .toList();
  }

  /**
   * The domain's DMARC policy: its own record or, when it has none, the one the RFC 9989 §4.10 tree
   * walk finds above it (a subdomain sender such as news.example.com is covered by example.com's
   * sp= or p=). Every record proposed keeps the admin's own tags.
   */
  private Finding dmarc(String domain) {
    String name = "_dmarc." + domain;
    List<String> records;
    try {
      records = versioned(name, "v=dmarc1");
    } catch (DnsFailure e) {
      return Finding.lookupFailed("DMARC", name, e);
    }
    if (records.isEmpty()) {
      Optional<Finding> inherited;
      try {
        inherited = inherited(domain);
      } catch (DnsFailure e) {
        return Finding.lookupFailed("DMARC", name, e);
      }
      if (inherited.isPresent()) {
        return inherited.get();
      }
      String publish =
          "publish: "
              + name
              + ". 3600 IN TXT \""
              + MailDnsPlan.dmarcStages("dmarc-reports@" + domain).get(0)
              + "\"";
      return Finding.fail("DMARC", name, "no v=DMARC1 record", publish);
    }
    if (records.size() > 1) {
      return Finding.fail(
          "DMARC", name, records.size() + " DMARC records: receivers ignore them all", "keep one");
    }
    DmarcRecord record;
    try {
      record = DmarcRecord.parse(records.get(0));
    } catch (KeyToolException e) {
      return Finding.fail(
          "DMARC",
          name,
          "does not parse: " + e.getMessage(),
          "publish: "
              + name
              + ". 3600 IN TXT \""
              + MailDnsPlan.dmarcStages("dmarc-reports@" + domain).get(0)
              + "\"");
    }
    return dmarcPolicy(domain, records.get(0), record);
  }

  /**
   * The tree walk (RFC 9989 §4.10) for a domain without a record of its own: each parent in turn,
   * up to the label below the top level; the first record found sets the policy, by its sp= (np= is
   * for names that do not exist, which the sender's domain does).
   */
  private Optional<Finding> inherited(String domain) throws DnsFailure {
    String[] labels = domain.split("\\.");
    for (int i = 1; i < labels.length - 1; i++) {
      String parent = String.join(".", List.of(labels).subList(i, labels.length));
      List<String> records = versioned("_dmarc." + parent, "v=dmarc1");
      if (records.size() != 1) {
        continue;
      }
      DmarcRecord record;
      try {
        record = DmarcRecord.parse(records.get(0));
      } catch (KeyToolException e) {
        continue;
      }
      String policy = record.tag("sp").orElse(record.policy());
      String from =
          "no record of its own; _dmarc."
              + parent
              + " covers it (tree walk): "
              + (record.tag("sp").isPresent() ? "sp=" : "p=")
              + policy;
      String name = "_dmarc." + domain;
      return Optional.of(
          switch (policy) {
            case "quarantine", "reject" ->
                record.tag("rua").isPresent()
                    ? Finding.pass("DMARC", name, from)
                    : Finding.warn(
                        "DMARC",
                        name,
                        from + " (no rua=: you get no reports)",
                        "publish: _dmarc."
                            + parent
                            + ". 3600 IN TXT \""
                            + record.with("rua", "mailto:dmarc-reports@" + parent)
                            + "\"");
            default ->
                Finding.warn(
                    "DMARC",
                    name,
                    from + " (monitoring only)",
                    "follow " + parent + "'s rollout: the subdomain is enforced with it");
          });
    }
    return Optional.empty();
  }

  /** The one DMARC record's policy: enforced, monitoring only, legacy, or broken. */
  private static Finding dmarcPolicy(String domain, String found, DmarcRecord record) {
    String name = "_dmarc." + domain;
    String policy = record.policy();
    String publish = "publish: " + name + ". 3600 IN TXT \"";
    if (!List.of("none", "quarantine", "reject").contains(policy)) {
      return Finding.fail(
          "DMARC",
          name,
          found + " (p= must be none, quarantine or reject)",
          publish + record.current().with("p", "none") + "\"");
    }
    if (!record.removedTags().isEmpty()) {
      return Finding.warn(
          "DMARC",
          name,
          found
              + " ("
              + String.join("=, ", record.removedTags())
              + "= no longer exist in DMARC (RFC 9989); receivers may apply a partial pct= as"
              + " the full policy)",
          publish
              + record.current()
              + "\""
              + (record.current().tag("t").isPresent()
                  ? " (t=y: testing, RFC 9989's replacement for pct; not every receiver honours"
                      + " it yet)"
                  : ""));
    }
    if (record.tag("rua").isEmpty()) {
      DmarcRecord withReports = record.with("rua", "mailto:dmarc-reports@" + domain);
      return policy.equals("none")
          ? Finding.warn(
              "DMARC", name, found + " (no rua=: you get no reports)", publish + withReports + "\"")
          : Finding.fail(
              "DMARC",
              name,
              found
                  + " (p="
                  + policy
                  + " without rua=: mail is refused and nobody reads why; a sender you forgot fails"
                  + " unseen)",
              publish + withReports + "\"");
    }
    if (policy.equals("none")) {
      return Finding.warn(
          "DMARC",
          name,
          found + " (p=none: monitoring only)",
          "next, when the reports show your mail passing: "
              + publish
              + record.nextStage().orElseThrow()
              + "\"");
    }
    return Finding.pass("DMARC", name, found);
  }
}
