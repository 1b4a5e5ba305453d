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
    MailHostCheck host = new MailHostCheck(dns);
    List<DnsQuery.Mx> mx = new ArrayList<>();
    List<Finding> mxFindings = host.mx(domain, mx);
    findings.addAll(mxFindings);
    Optional<InetAddress> ip = in.ip().isPresent() ? in.ip() : host.firstAddress(mx);
    findings.add(spf(domain, ip));
    findings.add(dmarc(domain));
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
    return spfVerdict(domain, result, found, lower.contains("~all"), ip.get());
  }

  /** What the SPF evaluation of the sending IP means for the admin. */
  private static Finding spfVerdict(
      String domain, SpfEvaluator.Result result, String found, boolean softfail, InetAddress ip) {
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
              "SPF", domain, found, "add " + spfTerm(ip) + " to the record, before its 'all'");
    };
  }

  private static String spfTerm(InetAddress ip) {
    return (ip.getAddress().length == 4 ? "ip4:" : "ip6:") + ip.getHostAddress();
  }

  private Finding dmarc(String domain) {
    String name = "_dmarc." + domain;
    List<String> stages = MailDnsPlan.dmarcStages("dmarc-reports@" + domain);
    String publish = "publish: " + name + ". 3600 IN TXT \"" + stages.get(0) + "\"";
    List<String> records;
    try {
      records =
          dns.txt(name).stream()
              .filter(t -> t.toLowerCase(Locale.ROOT).startsWith("v=dmarc1"))
              .toList();
    } catch (DnsFailure e) {
      return Finding.lookupFailed("DMARC", name, e);
    }
    if (records.isEmpty()) {
      return Finding.fail("DMARC", name, "no v=DMARC1 record", publish);
    }
    if (records.size() > 1) {
      return Finding.fail(
          "DMARC", name, records.size() + " DMARC records: receivers ignore them all", "keep one");
    }
    try {
      return dmarcPolicy(domain, records.get(0), TagList.parse(records.get(0)), stages, publish);
    } catch (KeyToolException e) {
      return Finding.fail("DMARC", name, "does not parse: " + e.getMessage(), publish);
    }
  }

  /** The one DMARC record's policy: enforced, monitoring only, or broken. */
  private static Finding dmarcPolicy(
      String domain, String found, Map<String, String> tags, List<String> stages, String publish) {
    String name = "_dmarc." + domain;
    String policy = tags.getOrDefault("p", "");
    if (!List.of("none", "quarantine", "reject").contains(policy)) {
      return Finding.fail(
          "DMARC", name, found + " (p= must be none, quarantine or reject)", publish);
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
}
