package org.dkimrelay.relay.dkim;

import java.util.Locale;

/** RFC 6376 §3.4: the two canonicalisation algorithms. */
public enum Canonicalization {
  SIMPLE,
  RELAXED;

  /** The tag value: {@code simple} or {@code relaxed}. */
  public String tagValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The {@code c=} pair, header then body, as in {@code relaxed/relaxed}. */
  public record Pair(Canonicalization header, Canonicalization body) {

    /** Parses {@code header/body}; a lone value is the header's and the body is simple (§3.5). */
    public static Pair parse(String text) {
      String[] parts = text.trim().toLowerCase(Locale.ROOT).split("/", -1);
      if (parts.length > 2) {
        throw new IllegalArgumentException(invalid(text));
      }
      return new Pair(one(parts[0], text), parts.length == 2 ? one(parts[1], text) : SIMPLE);
    }

    public String tagValue() {
      return header.tagValue() + "/" + body.tagValue();
    }

    private static Canonicalization one(String part, String whole) {
      for (Canonicalization c : values()) {
        if (c.tagValue().equals(part)) {
          return c;
        }
      }
      throw new IllegalArgumentException(invalid(whole));
    }

    private static String invalid(String text) {
      return "canonicalization '"
          + text
          + "' is not one of relaxed/relaxed, relaxed/simple, simple/relaxed, simple/simple";
    }
  }
}
