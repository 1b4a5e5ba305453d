package org.dkimrelay.keys.dnscheck;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    List<DnsQuery.Mx> mx = new ArrayList<>();
    findings.addAll(mx(domain, mx));
    Optional<InetAddress> ip = in.ip().isPresent() ? in.ip() : firstAddress(mx);
    findings.add(spf(domain, ip));
    findings.add(dmarc(domain));
    findings.add(ptr(ip, in.helo().orElse(mx.isEmpty() ? null : mx.get(0).host())));
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
      return Finding.fail(
          "DKIM", bare, "lookup failed: " + e.getMessage() + " (not a missing record; try again)");
    }
    if (records.isEmpty()) {
      return Finding.fail("DKIM", bare, "no record", publish);
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
      return Finding.fail("DKIM", bare, "record does not parse: " + e.getMessage(), publish);
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
      return Finding.fail("DKIM", bare, "the published key is not the local key", publish);
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

  private List<Finding> mx(String domain, List<DnsQuery.Mx> found) {
    List<DnsQuery.Mx> records;
    try {
      records = dns.mx(domain);
    } catch (DnsFailure e) {
      return List.of(
          Finding.fail(
              "MX", domain, "lookup failed: " + e.getMessage() + " (not a missing record)"));
    }
    found.addAll(records);
    if (records.isEmpty()) {
      return List.of(
          Finding.fail(
              "MX",
              domain,
              "no MX record",
              "publish: " + domain + ". 3600 IN MX 10 mail." + domain + "."));
    }
    List<Finding> findings = new ArrayList<>();
    for (DnsQuery.Mx mx : records) {
      try {
        if (!dns.cname(mx.host()).isEmpty()) {
          findings.add(
              Finding.fail(
                  "MX",
                  domain,
                  "MX target " + mx.host() + " is a CNAME (RFC 2181 §10.3)",
                  "point the MX at the host's own name, which has A/AAAA records"));
        } else if (dns.addresses(mx.host()).isEmpty()) {
          findings.add(
              Finding.fail(
                  "MX",
                  domain,
                  "MX target " + mx.host() + " has no A or AAAA record",
                  "publish: " + mx.host() + ". 3600 IN A <the mail host's address>"));
        } else {
          findings.add(Finding.pass("MX", domain, mx.preference() + " " + mx.host()));
        }
      } catch (DnsFailure e) {
        findings.add(
            Finding.fail("MX", domain, "lookup of " + mx.host() + " failed: " + e.getMessage()));
      }
    }
    return findings;
  }

  private Optional<InetAddress> firstAddress(List<DnsQuery.Mx> mx) {
    for (DnsQuery.Mx record : mx) {
      try {
        List<InetAddress> addresses = dns.addresses(record.host());
        if (!addresses.isEmpty()) {
          return Optional.of(addresses.get(0));
        }
      } catch (DnsFailure e) {
        // reported by the MX check
      }
    }
    return Optional.empty();
  }

  private Finding spf(String domain, Optional<InetAddress> ip) {
    String record;
    try {
      record = SpfEvaluator.record(dns.txt(domain), domain);
    } catch (DnsFailure e) {
      return Finding.fail(
          "SPF", domain, "lookup failed: " + e.getMessage() + " (not a missing record)");
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
    return switch (result.result()) {
      case "pass" ->
          lower.contains("~all")
              ? Finding.warn(
                  "SPF",
                  domain,
                  found + "; ends in ~all (softfail)",
                  "once DMARC is enforced, -all is the clearer policy")
              : Finding.pass("SPF", domain, found);
      case "temperror" ->
          Finding.fail("SPF", domain, found + " (lookup failed, not a missing record)");
      case "permerror" ->
          Finding.fail("SPF", domain, found, "fix the record; receivers treat it as broken");
      default ->
          Finding.fail(
              "SPF",
              domain,
              found,
              "add " + spfTerm(ip.get()) + " to the record, before its 'all'");
    };
  }

  private static String spfTerm(InetAddress ip) {
    return (ip.getAddress().length == 4 ? "ip4:" : "ip6:") + ip.getHostAddress();
  }

  private Finding dmarc(String domain) {
    String name = "_dmarc." + domain;
    List<String> stages = MailDnsPlan.dmarcStages("dmarc-reports@" + domain);
    List<String> records;
    try {
      records =
          dns.txt(name).stream()
              .filter(t -> t.toLowerCase(Locale.ROOT).startsWith("v=dmarc1"))
              .toList();
    } catch (DnsFailure e) {
      return Finding.fail(
          "DMARC", name, "lookup failed: " + e.getMessage() + " (not a missing record)");
    }
    if (records.isEmpty()) {
      return Finding.fail(
          "DMARC",
          name,
          "no v=DMARC1 record",
          "publish: " + name + ". 3600 IN TXT \"" + stages.get(0) + "\"");
    }
    if (records.size() > 1) {
      return Finding.fail(
          "DMARC", name, records.size() + " DMARC records: receivers ignore them all", "keep one");
    }
    Map<String, String> tags;
    try {
      tags = TagList.parse(records.get(0));
    } catch (KeyToolException e) {
      return Finding.fail(
          "DMARC",
          name,
          "does not parse: " + e.getMessage(),
          "publish: " + name + ". 3600 IN TXT \"" + stages.get(0) + "\"");
    }
    String policy = tags.getOrDefault("p", "");
    String found = records.get(0);
    if (!List.of("none", "quarantine", "reject").contains(policy)) {
      return Finding.fail(
          "DMARC",
          name,
          found + " (p= must be none, quarantine or reject)",
          "publish: " + name + ". 3600 IN TXT \"" + stages.get(0) + "\"");
    }
    if (!tags.containsKey("rua")) {
      return Finding.warn(
          "DMARC",
          name,
          found + " (no rua=: you get no reports)",
          "add rua=mailto:dmarc-reports@" + domain);
    }
    if (policy.equals("none")) {
      return Finding.warn(
          "DMARC",
          name,
          found + " (p=none: monitoring only)",
          "next, when reports show your mail passing: \"" + stages.get(1) + "\"");
    }
    return Finding.pass("DMARC", name, found);
  }

  private Finding ptr(Optional<InetAddress> ip, String expectedName) {
    if (ip.isEmpty()) {
      return Finding.warn(
          "PTR", "-", "not checked: no sending IP (give --ip, or publish MX and A records)");
    }
    String address = ip.get().getHostAddress();
    try {
      List<String> names = dns.ptr(ip.get());
      if (names.isEmpty()) {
        return Finding.fail(
            "PTR",
            address,
            "no PTR record",
            "ask the provider of "
                + address
                + " to set its PTR to your mail host's name"
                + (expectedName == null ? "" : " (" + expectedName + ")"));
      }
      String name = names.get(0);
      if (!dns.addresses(name).contains(ip.get())) {
        return Finding.fail(
            "PTR",
            address,
            "PTR "
                + name
                + " does not resolve back to "
                + address
                + " (no forward-confirmed reverse DNS)",
            "publish: " + name + ". 3600 IN A " + address);
      }
      if (expectedName != null && !name.equalsIgnoreCase(expectedName)) {
        return Finding.fail(
            "PTR",
            address,
            "PTR " + name + " is not the HELO/mail host name " + expectedName,
            "make the PTR, the A record and the SMTP banner name the same host");
      }
      return Finding.pass("PTR", address, name + " (resolves back to " + address + ")");
    } catch (DnsFailure e) {
      return Finding.fail(
          "PTR", address, "lookup failed: " + e.getMessage() + " (not a missing record)");
    }
  }
}
