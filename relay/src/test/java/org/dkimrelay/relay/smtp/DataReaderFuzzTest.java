package org.dkimrelay.relay.smtp;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Fuzz target: the DATA decoder either finds CRLF.CRLF or reports the end of the stream, and never
 * consumes past the end marker (see ParserFuzzTest).
 */
class DataReaderFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void dataPhase(byte[] input) {
    InputStream wire = new BufferedInputStream(new ByteArrayInputStream(input), 13);
    DataReader reader = new DataReader(wire);
    byte[] buffer = new byte[7];
    try {
      while (reader.read(buffer, 0, buffer.length) >= 0) {
        // decode everything
      }
    } catch (IOException expected) {
      // ended before CRLF.CRLF
    }
  }
}
