package org.dkimrelay.keys.dnscheck;

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
}
