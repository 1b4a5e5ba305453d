package org.dkimrelay.keys;

import java.net.IDN;
import java.util.Locale;
import java.util.regex.Pattern;

/** Checks and normalises DNS names in their ASCII form (RFC 1035 §2.3.1, RFC 5890 A-labels). */
public final class DnsNames {
  // RFC 1035 §2.3.1 "preferred name syntax": letters, digits, hyphen; no hyphen at either end.
  private static final Pattern LDH_LABEL = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");

  private DnsNames() {}

  /**
   * A host or domain name as a user writes it (any case, U-labels, one trailing dot) in the form
   * DNS stores it: lower-case A-labels, no trailing dot. {@code what} names it in the error, which
   * quotes the input as given.
   */
  public static String toAscii(String input, String what) {
    String trimmed = input.trim();
    if (trimmed.endsWith(".")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    String ascii;
    try {
      ascii = IDN.toASCII(trimmed, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new KeyToolException("invalid " + what + " '" + input + "': " + e.getMessage());
    }
    String problem = hostNameProblem(ascii);
    if (problem != null) {
      throw new KeyToolException("invalid " + what + " '" + input + "': " + problem);
    }
    return ascii;
  }

  /** Says why {@code name} is not a host name of two or more labels, or null when it is one. */
  static String hostNameProblem(String name) {
    if (name == null || name.isEmpty()) {
      return "it is empty";
    }
    if (name.length() > 253) {
      return "it is longer than 253 characters";
    }
    if (!name.equals(name.toLowerCase(Locale.ROOT))) {
      return "it must be lower case";
    }
    String[] labels = name.split("\\.", -1);
    if (labels.length < 2) {
      return "it needs at least two labels, such as example.com";
    }
    for (String label : labels) {
      String labelProblem = labelProblem(label);
      if (labelProblem != null) {
        return "it " + labelProblem;
      }
    }
    if (labels[labels.length - 1].chars().allMatch(Character::isDigit)) {
      return "the last label is numeric, so this looks like an IP address, not a name";
    }
    return null;
  }

  /** Says why {@code label} is not a valid host label, or null when it is. */
  static String labelProblem(String label) {
    if (label.isEmpty()) {
      return "has an empty label";
    }
    if (label.length() > 63) {
      return "has a label longer than 63 characters";
    }
    if (!LDH_LABEL.matcher(label).matches()) {
      return "has a label '" + label + "' that is not only letters, digits and inner hyphens";
    }
    return null;
  }
}
