package org.dkimrelay.keys.dnscheck;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.dnscheck.DnsQuery.DnsFailure;

/**
 * The mail host's records: the domain's MX (each target a host name with addresses, not an alias;
 * RFC 2181 §10.3) and the sending address's PTR (forward-confirmed, naming the mail host). Asks
 * only what the answer needs: the address family of the IP checked, aliases from the address
 * lookups (some servers refuse CNAME and AAAA questions they hold no records for).
 */
final class MailHostCheck {
  private final DnsQuery dns;

  MailHostCheck(DnsQuery dns) {
    this.dns = dns;
  }

  /** The MX findings, one per record; {@code found} receives the records. */
  List<Finding> mx(String domain, List<DnsQuery.Mx> found) {
    List<DnsQuery.Mx> records;
    try {
      records = dns.mx(domain);
    } catch (DnsFailure e) {
      return List.of(Finding.lookupFailed("MX", domain, e));
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
        if (dns.isAlias(mx.host())) {
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
        findings.add(Finding.lookupFailed("MX", domain, e));
      }
    }
    return findings;
  }

  /** The first address of the first MX host that has one. */
  Optional<InetAddress> firstAddress(List<DnsQuery.Mx> mx) {
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

  /**
   * The PTR of {@code ip}. Its name is compared with {@code expected} (the HELO name, or the first
   * MX host) before the forward lookup, so one cause is reported once; not with an MX host whose
   * own MX record already failed ({@code expectedIsBroken}), which would only repeat that.
   */
  /** The PTR name has no address record for the IP in the IP's own family. */
  private static Finding notForwardConfirmed(String name, InetAddress ip) {
    String address = ip.getHostAddress();
    return Finding.fail(
        "PTR",
        address,
        "PTR "
            + name
            + " does not resolve back to "
            + address
            + " (no forward-confirmed reverse DNS)",
        "publish: "
            + name
            + ". 3600 IN "
            + (DnsQuery.Family.of(ip) == DnsQuery.Family.IPV4 ? "A " : "AAAA ")
            + address);
  }

  Finding ptr(Optional<InetAddress> ip, Optional<String> expected, boolean expectedIsBroken) {
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
                + expected.map(name -> " (" + name + ")").orElse(""));
      }
      String name = names.get(0);
      if (expected.isPresent() && !expectedIsBroken && !name.equalsIgnoreCase(expected.get())) {
        return Finding.fail(
            "PTR",
            address,
            "PTR " + name + " is not the HELO/mail host name " + expected.get(),
            "make the PTR, the A record and the SMTP banner name the same host");
      }
      if (!dns.addresses(name, DnsQuery.Family.of(ip.get())).contains(ip.get())) {
        return notForwardConfirmed(name, ip.get());
      }
      String note =
          expectedIsBroken && expected.isPresent()
              ? "; not compared with " + expected.get() + ", whose MX fails above"
              : "";
      return Finding.pass("PTR", address, name + " (resolves back to " + address + note + ")");
    } catch (DnsFailure e) {
      return Finding.lookupFailed(
          "PTR",
          address,
          e,
          "a PTR record is published by the provider of "
              + address
              + ": ask a resolver that"
              + " reaches it");
    }
  }
}
