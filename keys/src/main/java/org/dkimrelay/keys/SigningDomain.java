package org.dkimrelay.keys;

import java.util.Optional;

/**
 * A DKIM signing domain ({@code d=}) in its ASCII form: lower case, no trailing dot, international
 * names converted to A-labels ({@code bücher.example} becomes {@code xn--bcher-kva.example}).
 */
public record SigningDomain(String name) {

  public SigningDomain {
    String problem = DnsNames.hostNameProblem(name);
    if (problem != null) {
      throw new KeyToolException("invalid domain '" + name + "': " + problem);
    }
  }

  /** Parses what a user or a {@code From:} header gives: any case, U-labels, one trailing dot. */
  public static SigningDomain parse(String input) {
    return new SigningDomain(DnsNames.toAscii(input, "domain"));
  }

  /**
   * The parent domain if it still has two labels or more: {@code a.example.com} → {@code
   * example.com}.
   */
  public Optional<SigningDomain> parent() {
    String rest = name.substring(name.indexOf('.') + 1);
    return rest.indexOf('.') < 0 ? Optional.empty() : Optional.of(new SigningDomain(rest));
  }

  /** The name as written in a zone file: with the trailing dot. */
  public String fqdn() {
    return name + ".";
  }

  @Override
  public String toString() {
    return name;
  }
}
