package org.dkimrelay.keys.dnscheck;

import java.net.InetAddress;
import java.util.List;

/**
 * The DNS questions the domain check asks. An empty answer means the name or type does not exist; a
 * {@link DnsFailure} means no answer could be had (timeout, SERVFAIL), which is never reported as a
 * missing record.
 */
public interface DnsQuery {

  /** TXT records at {@code name}, each with its strings joined. */
  List<String> txt(String name) throws DnsFailure;

  /** MX records of {@code name}, by preference. */
  List<Mx> mx(String name) throws DnsFailure;

  /** A and AAAA records of {@code name}. */
  List<InetAddress> addresses(String name) throws DnsFailure;

  /** The CNAME target of {@code name}, or empty. */
  List<String> cname(String name) throws DnsFailure;

  /** PTR names of {@code address}. */
  List<String> ptr(InetAddress address) throws DnsFailure;

  /** One MX record; {@code host} without trailing dot. */
  record Mx(int preference, String host) {}

  /** The question could not be answered. */
  final class DnsFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public DnsFailure(String message) {
      super(message);
    }
  }
}
