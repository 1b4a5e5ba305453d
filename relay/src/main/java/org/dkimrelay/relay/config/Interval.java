package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A duration written as {@code 30s}, {@code 10m}, {@code 2h} or {@code 7d}. */
public record Interval(Duration duration, String text) {
  private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(s|m|h|d)");

  @JsonCreator
  public static Interval parse(String text) {
    Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration such as 30s, 10m, 2h or 7d");
    }
    long n = Long.parseLong(m.group(1));
    Duration duration =
        switch (m.group(2)) {
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
    return new Interval(duration, text.trim());
  }

  @JsonValue
  @Override
  public String toString() {
    return text;
  }
}
