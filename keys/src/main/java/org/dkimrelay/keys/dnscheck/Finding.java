package org.dkimrelay.keys.dnscheck;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One line of the check: which record, pass/warn/fail, what was found, and the exact record to
 * publish (or what to do) when it is not right.
 */
public record Finding(Status status, String kind, String name, String found, List<String> fix) {

  public Finding {
    fix = List.copyOf(fix);
  }

  /** How a record stands. */
  public enum Status {
    PASS,
    WARN,
    FAIL;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static Finding pass(String kind, String name, String found) {
    return new Finding(Status.PASS, kind, name, found, List.of());
  }

  static Finding warn(String kind, String name, String found, String... fix) {
    return new Finding(Status.WARN, kind, name, found, List.of(fix));
  }

  static Finding fail(String kind, String name, String found, String... fix) {
    return new Finding(Status.FAIL, kind, name, found, List.of(fix));
  }

  /**
   * A lookup that got no answer: never a missing record. A refusal says what to do about it: an
   * authoritative-only server (BIND without recursion, dnsmasq without upstream) refuses names it
   * does not serve.
   */
  static Finding lookupFailed(String kind, String name, DnsQuery.DnsFailure e, String... more) {
    return new Finding(
        Status.FAIL,
        kind,
        name,
        "lookup failed: " + e.getMessage() + " (not a missing record)",
        lookupFix(e.kind(), more));
  }

  static List<String> lookupFix(DnsQuery.DnsFailure.Kind kind, String... more) {
    List<String> fix = new ArrayList<>();
    if (kind == DnsQuery.DnsFailure.Kind.REFUSED) {
      fix.add(
          "the server refused the question: give --resolver a recursive resolver (one that"
              + " answers for any name), not an authoritative-only server");
      fix.addAll(List.of(more));
    } else {
      fix.add("try again; if it persists, check the DNS server given by --resolver");
    }
    return fix;
  }
}
