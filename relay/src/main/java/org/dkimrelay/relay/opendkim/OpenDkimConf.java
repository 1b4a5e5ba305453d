package org.dkimrelay.relay.opendkim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * An {@code opendkim.conf} as OpenDKIM reads it (opendkim.conf(5)): one {@code Keyword value} per
 * line, {@code #} comments, keywords case-insensitive, the last occurrence wins.
 */
public record OpenDkimConf(Map<String, String> settings, Map<String, String> spellings) {
  public OpenDkimConf {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings)); // in file order
    spellings = Map.copyOf(spellings);
  }

  public static OpenDkimConf parse(String text) {
    Map<String, String> settings = new LinkedHashMap<>();
    Map<String, String> spellings = new LinkedHashMap<>();
    for (String raw : text.split("\r?\n")) {
      String line = stripComment(raw).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      String keyword = parts[0].toLowerCase(Locale.ROOT);
      settings.remove(keyword); // the last occurrence wins, and keeps its place in the order
      settings.put(keyword, parts.length > 1 ? parts[1].strip() : "");
      spellings.put(keyword, parts[0]);
    }
    return new OpenDkimConf(settings, spellings);
  }

  /** {@code keyword} as the file spells it ({@code UserID}, not {@code userid}). */
  public String spelling(String keyword) {
    return spellings.getOrDefault(keyword, keyword);
  }

  /** The value of {@code keyword}, if set. */
  public Optional<String> get(String keyword) {
    return Optional.ofNullable(settings.get(keyword.toLowerCase(Locale.ROOT)));
  }

  /** Every keyword set, in lower case. */
  public List<String> keywords() {
    return new ArrayList<>(settings.keySet());
  }

  /** A "#" starts a comment (OpenDKIM has no quoting in its configuration file). */
  static String stripComment(String line) {
    int hash = line.indexOf('#');
    return hash < 0 ? line : line.substring(0, hash);
  }
}
