package org.dkimrelay.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TxtRecordTest {

  @Test
  void valueOfExactly255BytesStaysOneString() {
    String value = "a".repeat(255);
    assertThat(new TxtRecord("n.", 60, value).characterStrings()).containsExactly(value);
  }

  @Test
  void longValueIsSplitIntoStringsOfAtMost255BytesThatJoinBack() {
    for (int length : new int[] {256, 410, 510, 511, 765, 1000}) {
      String value = "x".repeat(length);
      List<String> strings = new TxtRecord("n.", 60, value).characterStrings();
      assertThat(strings).allSatisfy(s -> assertThat(bytes(s)).isLessThanOrEqualTo(255));
      assertThat(String.join("", strings)).isEqualTo(value);
      assertThat(strings).hasSize((length + 254) / 255);
    }
  }

  @Test
  void splittingCountsBytesAndNeverCutsAMultiByteCharacter() {
    String value = "a" + "é".repeat(300); // 1 + 600 bytes; a 255-byte cut would split an é
    List<String> strings = new TxtRecord("n.", 60, value).characterStrings();
    assertThat(strings).allSatisfy(s -> assertThat(bytes(s)).isLessThanOrEqualTo(255));
    assertThat(String.join("", strings)).isEqualTo(value);
  }

  @Test
  void zoneLineQuotesEachStringAndEscapesQuotesAndBackslashes() {
    TxtRecord record = new TxtRecord("s._domainkey.example.com.", 3600, "a\"b\\c");
    assertThat(record.zoneLine())
        .isEqualTo("s._domainkey.example.com. 3600 IN TXT \"a\\\"b\\\\c\"");
  }

  @Test
  void zoneLineOfA2048BitKeyHasTwoStrings() {
    String value = "v=DKIM1; k=rsa; p=" + "A".repeat(392);
    String zone = new TxtRecord("s._domainkey.example.com.", 3600, value).zoneLine();
    assertThat(zone)
        .isEqualTo(
            "s._domainkey.example.com. 3600 IN TXT \""
                + value.substring(0, 255)
                + "\" \""
                + value.substring(255)
                + "\"");
  }

  @Test
  void emptyValueIsOneEmptyString() {
    assertThat(new TxtRecord("n.", 60, "").characterStrings()).containsExactly("");
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
