package org.dkimrelay.relay.rotation;

import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.keys.dnscheck.DnsQuery;
import org.dkimrelay.keys.dnscheck.DomainCheck;
import org.dkimrelay.keys.dnscheck.Finding;
import org.dkimrelay.relay.dkim.SigningKey;

/**
 * Whether each signing key's DNS record is published as it should be, with the same check as {@code
 * dkimrelay check}. A lookup that fails is "unknown", never "not published": a DNS blip must not
 * change what the relay signs with.
 */
public final class KeyPublication {
  private final DnsQuery dns;
  private final DomainCheck check;

  public KeyPublication(DnsQuery dns) {
    this.dns = dns;
    this.check = new DomainCheck(dns);
  }

  public record Status(SigningKey key, Publication state, String detail) {
    public String line() {
      String name = key.key().selector().recordName(key.key().domain());
      return name.substring(0, name.length() - 1)
          + ": "
          + switch (state) {
            case PUBLISHED -> "published";
            case NOT_PUBLISHED -> "NOT published (" + detail + ")";
            case UNKNOWN -> "unknown, DNS lookup failed (" + detail + ")";
          };
    }
  }

  public List<Status> check(List<SigningKey> keys) {
    List<Status> statuses = new ArrayList<>();
    for (SigningKey key : keys) {
      String name = key.key().selector().recordName(key.key().domain());
      try {
        dns.txt(name.substring(0, name.length() - 1));
      } catch (DnsQuery.DnsFailure e) {
        statuses.add(new Status(key, Publication.UNKNOWN, e.getMessage()));
        continue;
      }
      Finding finding = check.dkim(key.key());
      statuses.add(
          finding.status() == Finding.Status.FAIL
              ? new Status(key, Publication.NOT_PUBLISHED, finding.found())
              : new Status(key, Publication.PUBLISHED, finding.found()));
    }
    return statuses;
  }
}
