package org.dkimrelay.keys;

import java.time.YearMonth;
import java.util.Locale;

/**
 * A DKIM selector ({@code s=}): one or more DNS labels (RFC 6376 §3.1), stored lower case because
 * DNS compares names case-insensitively and file names should not.
 */
public record Selector(String value) {

  public Selector {
    if (value == null || value.isEmpty()) {
      throw new KeyToolException("invalid selector: it is empty");
    }
    if (!value.equals(value.toLowerCase(Locale.ROOT))) {
      throw new KeyToolException("invalid selector '" + value + "': it must be lower case");
    }
    // The selector plus "._domainkey." plus the domain must fit in a 253-character name.
    if (value.length() > 63 * 2) {
      throw new KeyToolException("invalid selector '" + value + "': it is too long");
    }
    for (String label : value.split("\\.", -1)) {
      String problem = DnsNames.labelProblem(label);
      if (problem != null) {
        throw new KeyToolException("invalid selector '" + value + "': it " + problem);
      }
    }
  }

  /** Parses a user's selector; case is folded to lower case. */
  public static Selector parse(String input) {
    return new Selector(input.trim().toLowerCase(Locale.ROOT));
  }

  /** The default selector for a key made in {@code month}: {@code 202611r}, {@code 202611e}. */
  public static Selector dated(YearMonth month, KeyAlgorithm algorithm) {
    return new Selector(
        String.format(
            Locale.ROOT,
            "%04d%02d%c",
            month.getYear(),
            month.getMonthValue(),
            algorithm.selectorSuffix()));
  }

  /** The DNS name that holds this selector's key record for {@code domain}, with trailing dot. */
  public String recordName(SigningDomain domain) {
    return value + "._domainkey." + domain.fqdn();
  }

  @Override
  public String toString() {
    return value;
  }
}
