package org.dkimrelay.relay.dkim;

import java.util.List;
import org.dkimrelay.keys.dnscheck.DnsQuery.DnsFailure;

/** Where verification finds key records: DNS, or records given on the command line. */
public interface KeyRecordSource {

  /**
   * The TXT records at {@code name} (such as {@code s1._domainkey.example.com}), each with its
   * strings joined; empty when the name has none.
   *
   * @throws DnsFailure when the answer could not be had (timeout, SERVFAIL): a temporary error, not
   *     the same as "no record"
   */
  List<String> keyRecords(String name) throws DnsFailure;
}
