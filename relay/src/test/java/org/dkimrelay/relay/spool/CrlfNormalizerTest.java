package org.dkimrelay.relay.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The normaliser, eight bytes at a time, against the rule written as a regular expression. */
class CrlfNormalizerTest {

  @Test
  void anyInputSplitAnywhereGivesCrlfLinesAndTellsEightBit() throws Exception {
    Random random = new Random(5322);
    String alphabet = "abcdefgh\r\n\u00e9 ";
    for (int round = 0; round < 20_000; round++) {
      byte[] input = new byte[random.nextInt(80)];
      for (int i = 0; i < input.length; i++) {
        // mostly ordinary bytes, so that runs of eight and more occur
        input[i] =
            (byte)
                (random.nextInt(4) == 0
                    ? alphabet.charAt(8 + random.nextInt(alphabet.length() - 8))
                    : alphabet.charAt(random.nextInt(8)));
      }
      String text = new String(input, StandardCharsets.ISO_8859_1);
      String expected = text.replaceAll("\r\n|\r|\n", "\r\n");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CrlfNormalizer normalizer = new CrlfNormalizer(out);
      int split = input.length == 0 ? 0 : random.nextInt(input.length + 1);
      normalizer.write(input, 0, split);
      normalizer.write(input, split, input.length - split);
      normalizer.finish();
      assertThat(out.toString(StandardCharsets.ISO_8859_1))
          .as("%s split at %d", text.replace("\r", "\\r").replace("\n", "\\n"), split)
          .isEqualTo(expected);
      assertThat(normalizer.eightBit()).as("8-bit in %s", text).isEqualTo(text.contains("\u00e9"));
    }
  }
}
