package org.dkimrelay.relay.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DataReaderTest {

  /**
   * Decodes {@code wire}, reading into buffers of {@code size}; returns content and what is left.
   */
  private static String[] decode(String wire, int size) throws IOException {
    InputStream in =
        new BufferedInputStream(
            new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)), 7);
    DataReader reader = new DataReader(in);
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    byte[] buffer = new byte[size];
    for (int n = reader.read(buffer, 0, size); n >= 0; n = reader.read(buffer, 0, size)) {
      content.write(buffer, 0, n);
    }
    return new String[] {
      content.toString(StandardCharsets.ISO_8859_1),
      new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)
    };
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "plain                 | A: b\\r\\n\\r\\nbody\\r\\n.\\r\\n                | A: b\\r\\n\\r\\nbody\\r\\n",
        "dot on the first line | ..first\\r\\n.\\r\\n                          | .first\\r\\n",
        "stuffed dots          | x\\r\\n..\\r\\n...\\r\\n.y\\r\\n.\\r\\n             | x\\r\\n.\\r\\n..\\r\\ny\\r\\n",
        "bare LF dot is content| a\\n.\\r\\nMAIL FROM:<e>\\r\\n.\\r\\n         | a\\n.\\r\\nMAIL FROM:<e>\\r\\n",
        "dot CR not LF         | a\\r\\n.\\rb\\r\\n.\\r\\n                        | a\\r\\n\\rb\\r\\n",
        "empty                 | .\\r\\n                                        | ''",
      })
  void decodesWhateverTheBufferSize(String label, String wire, String expected) throws IOException {
    String w = wire.replace("\\r", "\r").replace("\\n", "\n") + "QUIT\r\n";
    String e = expected.replace("\\r", "\r").replace("\\n", "\n");
    for (int size = 1; size <= 40; size++) {
      String[] result = decode(w, size);
      assertThat(result[0]).as("%s, buffer %d", label, size).isEqualTo(e);
      assertThat(result[1]).as("what follows stays unread").isEqualTo("QUIT\r\n");
    }
  }

  @Test
  void endOfStreamBeforeTheFinalDotIsAnError() {
    assertThatThrownBy(() -> decode("half a message", 16)).isInstanceOf(EOFException.class);
  }
}
