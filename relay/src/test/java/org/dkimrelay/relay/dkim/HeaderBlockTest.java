package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderBlockTest {

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void foldedFieldsKeepTheirExactBytes() throws Exception {
    HeaderBlock block =
        HeaderBlock.parse(bytes("Subject: one\r\n\ttwo\r\n  three\r\nTo: a@b.example\r\n\r\n"));
    assertThat(block.fields()).hasSize(2);
    assertThat(block.fields().get(0).raw()).isEqualTo(bytes("Subject: one\r\n\ttwo\r\n  three"));
    assertThat(block.fields().get(0).unfoldedValue()).isEqualTo(" one\ttwo  three");
  }

  @Test
  void namesMatchWhateverTheirCaseAndObsoleteSpaceBeforeTheColon() throws Exception {
    HeaderBlock block = HeaderBlock.parse(bytes("SUBJECT : hi\r\nfRoM: a@example.com\r\n"));
    assertThat(block.all("subject")).hasSize(1);
    assertThat(block.all("Subject").get(0).name()).isEqualTo("SUBJECT");
    assertThat(block.count("From")).isEqualTo(1);
  }

  @Test
  void duplicatesAreKeptInOrder() throws Exception {
    HeaderBlock block = HeaderBlock.parse(bytes("To: a\r\nX: 1\r\nTo: b\r\n\r\n"));
    assertThat(block.all("to")).extracting(HeaderField::toString).containsExactly("To: a", "To: b");
  }

  @Test
  void eightBitAndNonUtf8BytesSurviveUntouched() throws Exception {
    byte[] latin1 = bytes("Subject: Gr\u00fc\u00dfe\r\n"); // Latin-1: not valid UTF-8
    HeaderBlock block = HeaderBlock.parse(latin1);
    assertThat(block.fields().get(0).raw()).isEqualTo(bytes("Subject: Gr\u00fc\u00dfe"));
  }

  @Test
  void thousandsOfFieldsAndVeryLongLinesParse() throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      text.append("X-Filler-").append(i).append(": ").append("v".repeat(50)).append("\r\n");
    }
    text.append("References: ").append("<a@b>".repeat(4000)).append("\r\n\r\n");
    HeaderBlock block = HeaderBlock.parse(bytes(text.toString()));
    assertThat(block.fields()).hasSize(5001);
    assertThat(block.all("references").get(0).length()).isEqualTo(12 + 20000);
  }

  @Test
  void parsingStopsAtTheEmptyLine() throws Exception {
    HeaderBlock block = HeaderBlock.parse(bytes("A: 1\r\n\r\nB: body\r\n"));
    assertThat(block.fields()).extracting(HeaderField::name).containsExactly("A");
  }

  @Test
  void aLineThatIsNotAFieldIsRefusedWithItsNumber() {
    assertThatThrownBy(() -> HeaderBlock.parse(bytes("A: 1\r\nnot a field\r\n\r\n")))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessage("header line 2 is not a field (no 'Name:'): not a field");
    assertThatThrownBy(() -> HeaderBlock.parse(bytes(" leading: space\r\n")))
        .hasMessageContaining("line 1 starts with white space");
    assertThatThrownBy(() -> HeaderBlock.parse(bytes(": no name\r\n")))
        .isInstanceOf(MalformedMessageException.class);
  }
}
