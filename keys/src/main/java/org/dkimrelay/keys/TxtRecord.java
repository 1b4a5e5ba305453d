package org.dkimrelay.keys;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A TXT record and its three printed forms: the zone-file line, the bare value for web DNS panels,
 * and the list of character-strings that DNS actually stores.
 */
public record TxtRecord(String name, int ttl, String value) {

  /** RFC 1035 §3.3: a character-string is one length octet followed by at most 255 octets. */
  public static final int MAX_STRING_BYTES = 255;

  /**
   * The value split into character-strings of at most 255 bytes each. Splitting is at byte level
   * but never inside a UTF-8 sequence; concatenating the strings gives the value back (RFC 6376
   * §3.6.2.2: verifiers join the strings without separators).
   */
  public List<String> characterStrings() {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    List<String> strings = new ArrayList<>();
    int start = 0;
    while (start < bytes.length) {
      int end = Math.min(start + MAX_STRING_BYTES, bytes.length);
      while (end < bytes.length && (bytes[end] & 0xC0) == 0x80) {
        end--; // do not cut a multi-byte character: back up to its first byte
      }
      strings.add(new String(bytes, start, end - start, StandardCharsets.UTF_8));
      start = end;
    }
    if (strings.isEmpty()) {
      strings.add("");
    }
    return strings;
  }

  /** One zone-file line: {@code name TTL IN TXT "..." "..."}. */
  public String zoneLine() {
    StringBuilder line = new StringBuilder(name).append(' ').append(ttl).append(" IN TXT");
    for (String string : characterStrings()) {
      line.append(' ').append(quoted(string));
    }
    return line.toString();
  }

  /** RFC 1035 §5.1: inside quotes, backslash and double quote are escaped with a backslash. */
  static String quoted(String string) {
    return '"' + string.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
