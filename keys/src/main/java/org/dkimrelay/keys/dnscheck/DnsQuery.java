package org.dkimrelay.keys.dnscheck;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The DNS questions the domain check asks. An empty answer means the name or type does not exist; a
 * {@link DnsFailure} means no answer could be had (timeout, SERVFAIL, REFUSED), which is never
 * reported as a missing record.
 */
public interface DnsQuery {

  /** TXT records at {@code name}, each with its strings joined. */
  List<String> txt(String name) throws DnsFailure;

  /** MX records of {@code name}, by preference. */
  List<Mx> mx(String name) throws DnsFailure;

  /** The A ({@link Family#IPV4}) or AAAA ({@link Family#IPV6}) records of {@code name}. */
  List<InetAddress> addresses(String name, Family family) throws DnsFailure;

  /**
   * A and AAAA records of {@code name}. One family's failure does not fail the other's answer: some
   * servers (dnsmasq without upstream) refuse what they do not hold.
   */
  default List<InetAddress> addresses(String name) throws DnsFailure {
    List<InetAddress> addresses = new ArrayList<>();
    DnsFailure failure = null;
    for (Family family : Family.values()) {
      try {
        addresses.addAll(addresses(name, family));
      } catch (DnsFailure e) {
        failure = failure == null ? e : failure;
      }
    }
    if (addresses.isEmpty() && failure != null) {
      throw failure;
    }
    return addresses;
  }

  /**
   * Whether {@code name} is an alias (a CNAME). Learnt from the address lookup's answer, not from a
   * CNAME query, which some servers refuse.
   */
  boolean isAlias(String name) throws DnsFailure;

  /** PTR names of {@code address}. */
  List<String> ptr(InetAddress address) throws DnsFailure;

  /** One MX record; {@code host} without trailing dot. */
  record Mx(int preference, String host) {}

  /** Which address records. */
  enum Family {
    IPV4,
    IPV6;

    public static Family of(InetAddress address) {
      return address instanceof Inet4Address ? IPV4 : IPV6;
    }
  }

  /** The question could not be answered. */
  final class DnsFailure extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why not. */
    public enum Kind {
      /** The server answered REFUSED: it does not serve that name to us. */
      REFUSED,
      /** No answer at all: timeout, or the server cannot be reached. */
      NO_ANSWER,
      /** SERVFAIL and the like. */
      OTHER
    }

    private final Kind kind;

    public DnsFailure(String message) {
      this(Kind.OTHER, message);
    }

    public DnsFailure(Kind kind, String message) {
      super(message);
      this.kind = kind;
    }

    public Kind kind() {
      return kind;
    }
  }
}
