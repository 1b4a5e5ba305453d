package org.dkimrelay.relay.upstream;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/** What upstream's EHLO reply offers (RFC 5321 §4.1.1.1): keywords, upper case, and parameters. */
record Extensions(Map<String, String> keywords) {
  static final Extensions NONE = new Extensions(Map.of());

  /** From the reply's lines; the first is the greeting line. */
  static Extensions parse(List<String> lines) {
    Map<String, String> keywords = new HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] parts = line.trim().split("\\s+", 2);
      keywords.put(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : "");
    }
    return new Extensions(Map.copyOf(keywords));
  }

  boolean supports(String keyword) {
    return keywords.containsKey(keyword.toUpperCase(Locale.ROOT));
  }

  /** The keyword's parameters ({@code AUTH PLAIN LOGIN} → {@code PLAIN LOGIN}), or null. */
  String parameter(String keyword) {
    return keywords.get(keyword.toUpperCase(Locale.ROOT));
  }

  /** RFC 1870: the message size upstream takes, when it says one ({@code SIZE 0}: no limit). */
  OptionalLong sizeLimit() {
    String size = keywords.get("SIZE");
    if (size == null || !size.matches("\\d{1,18}") || Long.parseLong(size) == 0) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Long.parseLong(size));
  }
}
