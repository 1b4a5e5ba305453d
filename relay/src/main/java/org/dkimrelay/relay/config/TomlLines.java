package org.dkimrelay.relay.config;

import java.util.Optional;
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
  private static final Pattern BARE_VALUE =
      Pattern.compile("[A-Za-z0-9_.-]+\\s*=\\s*([A-Za-z][A-Za-z0-9_./:@-]*)\\s*(#.*)?");

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

  /** Line {@code number} (1-based) of {@code text}, or "" when there is none. */
  static String lineAt(String text, int number) {
    String[] lines = text.split("\r?\n", -1);
    return number >= 1 && number <= lines.length ? lines[number - 1] : "";
  }

  /** Whether line {@code number} is the table header {@code [dottedKey]}. */
  static boolean isTableHeader(String text, int number, String dottedKey) {
    Matcher table = TABLE.matcher(lineAt(text, number));
    return table.matches() && table.group(1).equals(dottedKey);
  }

  /** The value written on line {@code number}, as written ({@code "64"}). */
  static String valueOn(String text, int number) {
    String line = lineAt(text, number);
    int equals = line.indexOf('=');
    return equals < 0 ? line.strip() : line.substring(equals + 1).replaceAll("#.*", "").strip();
  }

  /** {@code key = word}: a bare word where TOML wants a quoted string; the word. */
  static Optional<String> unquotedWord(String line) {
    Matcher bare = BARE_VALUE.matcher(line);
    return bare.matches() && !bare.group(1).matches("true|false|[-+]?[0-9][0-9_.eE+-]*")
        ? Optional.of(bare.group(1))
        : Optional.empty();
  }
}
