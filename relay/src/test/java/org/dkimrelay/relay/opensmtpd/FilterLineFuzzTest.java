package org.dkimrelay.relay.opensmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target: any line smtpd (or a broken pipe) could hand the filter parses to some {@link
 * FilterLine} without an exception (an exception would end the filter and with it smtpd), and a
 * data line's payload is the rest of the line, "|" included.
 */
class FilterLineFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void filterLine(byte[] input) {
    String line = new String(input, StandardCharsets.ISO_8859_1).replace("\n", "");
    FilterLine parsed = FilterLine.parse(line);
    assertThat(parsed).isNotNull();
    if (parsed instanceof FilterLine.Filter filter && line.startsWith("filter|")) {
      assertThat(line).endsWith(filter.payload());
      assertThat(filter.session()).doesNotContain("|");
    }
  }
}
