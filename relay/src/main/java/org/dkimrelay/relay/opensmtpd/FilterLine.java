package org.dkimrelay.relay.opensmtpd;

import java.util.Arrays;
import java.util.Optional;

/**
 * One line from smtpd to a proc-exec filter (smtpd-filters(7), protocols 0.5 to 0.7): {@code
 * config|KEY|VALUE}, {@code filter|VERSION|TIME|SUBSYSTEM|PHASE|SESSION|TOKEN|PAYLOAD} or {@code
 * report|VERSION|TIME|SUBSYSTEM|EVENT|SESSION|...}. Only the last field may contain "|".
 */
sealed interface FilterLine {
  record Config(String key, String value) implements FilterLine {}

  record Filter(String version, String phase, String session, String token, String payload)
      implements FilterLine {}

  /** {@code rest}: the fields after the session, unsplit ("" when there are none). */
  record Report(String version, String event, String session, String rest) implements FilterLine {}

  /** A line of another kind or shape: ignored (and logged), never fatal. */
  record Other(String line) implements FilterLine {}

  static FilterLine parse(String line) {
    if (line.startsWith("config|")) {
      String[] fields = fields(line, 3);
      return new Config(fields[1], fields.length > 2 ? fields[2] : "");
    }
    if (line.startsWith("filter|")) {
      String[] fields = fields(line, 8);
      return fields.length >= 7
          ? new Filter(
              fields[1], fields[4], fields[5], fields[6], fields.length > 7 ? fields[7] : "")
          : new Other(line);
    }
    if (line.startsWith("report|")) {
      String[] fields = fields(line, 7);
      return fields.length >= 6
          ? new Report(fields[1], fields[4], fields[5], fields.length > 6 ? fields[6] : "")
          : new Other(line);
    }
    return new Other(line);
  }

  /** Up to {@code most} fields split at "|", the last one holding the rest (a line per call). */
  private static String[] fields(String line, int most) {
    String[] fields = new String[most];
    int count = 0;
    int from = 0;
    while (count < most - 1) {
      int bar = line.indexOf('|', from);
      if (bar < 0) {
        break;
      }
      fields[count++] = line.substring(from, bar);
      from = bar + 1;
    }
    fields[count++] = line.substring(from);
    return count == most ? fields : Arrays.copyOf(fields, count);
  }

  /**
   * The login of a {@code link-auth} report whose result is {@code pass}: {@code USER|RESULT} up to
   * protocol 0.6, {@code RESULT|USER} from 0.7 (so that a user name may hold "|").
   */
  static Optional<String> authenticated(Report report) {
    String rest = report.rest();
    if (report.version().equals("0.5") || report.version().equals("0.6")) {
      int bar = rest.lastIndexOf('|');
      return bar > 0 && rest.substring(bar + 1).equals("pass")
          ? Optional.of(rest.substring(0, bar))
          : Optional.empty();
    }
    return rest.startsWith("pass|") && rest.length() > 5
        ? Optional.of(rest.substring(5))
        : Optional.empty();
  }
}
