package org.dkimrelay.relay.opensmtpd;

/**
 * One line from smtpd to a proc-exec filter (smtpd-filters(7), protocols 0.5 to 0.7): {@code
 * config|KEY|VALUE}, {@code filter|VERSION|TIME|SUBSYSTEM|PHASE|SESSION|TOKEN|PAYLOAD} or {@code
 * report|VERSION|TIME|SUBSYSTEM|EVENT|SESSION|...}. Only the last field may contain "|".
 */
sealed interface FilterLine {
  record Config(String key, String value) implements FilterLine {}

  record Filter(String version, String phase, String session, String token, String payload)
      implements FilterLine {}

  record Report(String version, String event, String session) implements FilterLine {}

  /** A line of another kind or shape: ignored (and logged), never fatal. */
  record Other(String line) implements FilterLine {}

  static FilterLine parse(String line) {
    if (line.startsWith("config|")) {
      String[] fields = line.split("\\|", 3);
      return new Config(fields[1], fields.length > 2 ? fields[2] : "");
    }
    if (line.startsWith("filter|")) {
      String[] fields = line.split("\\|", 8);
      return fields.length >= 7
          ? new Filter(
              fields[1], fields[4], fields[5], fields[6], fields.length > 7 ? fields[7] : "")
          : new Other(line);
    }
    if (line.startsWith("report|")) {
      String[] fields = line.split("\\|", 7);
      return fields.length >= 6 ? new Report(fields[1], fields[4], fields[5]) : new Other(line);
    }
    return new Other(line);
  }
}
