package org.dkimrelay.relay.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Config values that are one word out of a few, written in lower case. */
final class Choice {
  private Choice() {}

  static <E extends Enum<E>> E parse(Class<E> type, String text) {
    for (E constant : type.getEnumConstants()) {
      if (word(constant).equals(text.trim().toLowerCase(Locale.ROOT))) {
        return constant;
      }
    }
    String allowed =
        Arrays.stream(type.getEnumConstants()).map(Choice::word).collect(Collectors.joining(" | "));
    throw new IllegalArgumentException("'" + text + "' is not one of " + allowed);
  }

  static String word(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
