package org.dkimrelay.keys;

import java.util.LinkedHashMap;
import java.util.Map;

/** RFC 6376 §3.2 tag-lists, as in key records and DKIM-Signature fields. */
public final class TagList {
  private TagList() {}

  /**
   * Parses {@code tag=value} pairs separated by ';'. White space (folding included) around tags and
   * values is ignored; inside values it is kept. A duplicate tag makes the list invalid.
   *
   * @throws KeyToolException saying what is wrong
   */
  public static Map<String, String> parse(String text) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String part : text.split(";", -1)) {
      String trimmed = part.strip();
      if (trimmed.isEmpty()) {
        continue; // a trailing ';' is allowed
      }
      int equals = trimmed.indexOf('=');
      if (equals <= 0) {
        throw new KeyToolException("'" + trimmed + "' is not a tag=value pair");
      }
      String name = trimmed.substring(0, equals).strip();
      if (!name.matches("[A-Za-z][A-Za-z0-9_]*")) {
        throw new KeyToolException("'" + name + "' is not a tag name");
      }
      if (tags.put(name, trimmed.substring(equals + 1).strip()) != null) {
        throw new KeyToolException("tag " + name + "= appears twice");
      }
    }
    return tags;
  }
}
