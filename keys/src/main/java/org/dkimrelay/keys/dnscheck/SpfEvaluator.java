package org.dkimrelay.keys.dnscheck;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.keys.dnscheck.DnsQuery.DnsFailure;

/**
 * RFC 7208 check_host() for the mechanisms that matter to a sending domain: all, ip4, ip6, a, mx,
 * include, redirect, with the limit of 10 DNS-querying terms (§4.6.4). Macros, exists and ptr are
 * reported as unsupported rather than guessed.
 */
final class SpfEvaluator {
  static final int LOOKUP_LIMIT = 10;

  /**
   * The outcome: pass, fail, softfail, neutral, none, permerror, temperror (§2.6); for temperror,
   * why the lookup failed.
   */
  record Result(String result, String detail, int lookups, DnsFailure.Kind failure) {}

  private final DnsQuery dns;
  private int lookups;

  SpfEvaluator(DnsQuery dns) {
    this.dns = dns;
  }

  Result evaluate(InetAddress ip, String domain) {
    try {
      String result = checkHost(ip, domain, 0);
      return new Result(result, "", lookups, null);
    } catch (PermError e) {
      return new Result("permerror", e.getMessage(), lookups, null);
    } catch (DnsFailure e) {
      return new Result("temperror", e.getMessage(), lookups, e.kind());
    }
  }

  /** The single SPF record of {@code domain}, or null; several are a permerror (§4.5). */
  static String record(List<String> txt, String domain) throws PermError {
    List<String> spf = txt.stream().filter(SpfEvaluator::isSpf).toList();
    if (spf.size() > 1) {
      throw new PermError(
          domain + " has " + spf.size() + " SPF records (RFC 7208 §4.5: exactly one)");
    }
    return spf.isEmpty() ? null : spf.get(0);
  }

  static boolean isSpf(String txt) {
    String lower = txt.toLowerCase(Locale.ROOT);
    return lower.equals("v=spf1") || lower.startsWith("v=spf1 ");
  }

  private String checkHost(InetAddress ip, String domain, int depth) throws PermError, DnsFailure {
    if (depth > LOOKUP_LIMIT) {
      throw new PermError("include/redirect loop");
    }
    String record = record(dns.txt(domain), domain);
    if (record == null) {
      return "none";
    }
    String redirect = null;
    for (String term : record.trim().split("\\s+")) {
      String lower = term.toLowerCase(Locale.ROOT);
      if (lower.equals("v=spf1")) {
        continue;
      }
      if (lower.startsWith("redirect=")) {
        redirect = term.substring("redirect=".length());
        continue;
      }
      if (lower.contains("=")) {
        continue; // other modifiers (exp=) do not change the result
      }
      boolean qualified = "+-~?".indexOf(term.charAt(0)) >= 0;
      char qualifier = qualified ? term.charAt(0) : '+';
      String mechanism = qualified ? term.substring(1) : term;
      if (matches(ip, domain, mechanism, depth)) {
        return switch (qualifier) {
          case '-' -> "fail";
          case '~' -> "softfail";
          case '?' -> "neutral";
          default -> "pass";
        };
      }
    }
    if (redirect != null) {
      count();
      String result = checkHost(ip, redirect, depth + 1);
      return result.equals("none") ? "permerror" : result;
    }
    return "neutral"; // §4.7: no match and no redirect
  }

  private boolean matches(InetAddress ip, String domain, String mechanism, int depth)
      throws PermError, DnsFailure {
    String lower = mechanism.toLowerCase(Locale.ROOT);
    if (lower.equals("all")) {
      return true;
    }
    if (lower.startsWith("ip4:") || lower.startsWith("ip6:")) {
      return inNetwork(ip, mechanism.substring(4));
    }
    if (lower.startsWith("include:")) {
      count();
      String result = checkHost(ip, mechanism.substring(8), depth + 1);
      if (result.equals("none")) {
        throw new PermError("include:" + mechanism.substring(8) + " has no SPF record");
      }
      return result.equals("pass");
    }
    if (lower.equals("a") || lower.startsWith("a:") || lower.startsWith("a/")) {
      count();
      return dns.addresses(target(mechanism, domain), DnsQuery.Family.of(ip)).contains(ip);
    }
    if (lower.equals("mx") || lower.startsWith("mx:") || lower.startsWith("mx/")) {
      count();
      for (DnsQuery.Mx mx : dns.mx(target(mechanism, domain))) {
        if (dns.addresses(mx.host(), DnsQuery.Family.of(ip)).contains(ip)) {
          return true;
        }
      }
      return false;
    }
    throw new PermError("mechanism '" + mechanism + "' is not checked here (macros, exists, ptr)");
  }

  private static String target(String mechanism, String domain) {
    int colon = mechanism.indexOf(':');
    if (colon < 0) {
      return domain;
    }
    String rest = mechanism.substring(colon + 1);
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }

  private void count() throws PermError {
    if (++lookups > LOOKUP_LIMIT) {
      throw new PermError("more than " + LOOKUP_LIMIT + " DNS lookups (RFC 7208 §4.6.4)");
    }
  }

  private static boolean inNetwork(InetAddress ip, String range) throws PermError {
    try {
      return Cidr.parse(range).contains(ip);
    } catch (IllegalArgumentException e) {
      throw new PermError(e.getMessage());
    }
  }

  /** The record is broken for every receiver (RFC 7208 permerror). */
  static final class PermError extends Exception {
    private static final long serialVersionUID = 1L;

    PermError(String message) {
      super(message);
    }
  }
}
