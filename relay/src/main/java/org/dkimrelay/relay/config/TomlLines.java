package org.dkimrelay.relay.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the line of a key in TOML text. Jackson's TOML reader builds a tree before binding, so its
 * errors carry no line; this scan gives errors the line users need.
 */
final class TomlLines {
  private static final Pattern TABLE =
      Pattern.compile("\\s*\\[\\s*([A-Za-z0-9_.-]+)\\s*]\\s*(#.*)?");
  private static final Pattern KEY = Pattern.compile("\\s*([A-Za-z0-9_.-]+)\\s*=.*");

  private TomlLines() {}

  /** The 1-based line of {@code dottedKey} (such as {@code listen.max-sessions}), or 0. */
  static int lineOf(String text, String dottedKey) {
    String[] lines = text.split("\r?\n", -1);
    String table = "";
    int best = 0;
    int bestLength = 0;
    for (int i = 0; i < lines.length; i++) {
      Matcher tableMatch = TABLE.matcher(lines[i]);
      String found = null;
      if (tableMatch.matches()) {
        table = tableMatch.group(1);
        found = table;
      } else {
        Matcher keyMatch = KEY.matcher(lines[i]);
        if (keyMatch.matches()) {
          found = table.isEmpty() ? keyMatch.group(1) : table + "." + keyMatch.group(1);
        }
      }
      boolean prefix =
          found != null && (dottedKey.equals(found) || dottedKey.startsWith(found + "."));
      if (prefix && found.length() > bestLength) {
        best = i + 1;
        bestLength = found.length();
      }
    }
    return best;
  }
}
