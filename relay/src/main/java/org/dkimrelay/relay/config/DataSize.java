package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes written as {@code 50MB}, {@code 512KB}, {@code 1GB} or plain bytes (1 KB = 1024
 * bytes).
 */
public record DataSize(long bytes, String text) {
  private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(B|KB|MB|GB)?");

  @JsonCreator
  public static DataSize parse(String text) {
    Matcher m = FORM.matcher(text.trim().toUpperCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not a size such as 50MB, 512KB or 1GB");
    }
    long number = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    long multiplier =
        switch (unit) {
          case "KB" -> 1024L;
          case "MB" -> 1024L * 1024;
          case "GB" -> 1024L * 1024 * 1024;
          default -> 1L;
        };
    return new DataSize(Math.multiplyExact(number, multiplier), text.trim());
  }

  @JsonValue
  @Override
  public String toString() {
    return text;
  }
}
