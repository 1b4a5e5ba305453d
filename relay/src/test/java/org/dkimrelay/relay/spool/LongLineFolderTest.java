package org.dkimrelay.relay.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.dkimrelay.relay.cli.Corpus;
import org.junit.jupiter.api.Test;

/**
 * Long lines broken as Postfix's SMTP client breaks them (its rule for smtp_line_length_limit,
 * written here the direct way as the oracle), whatever the chunks the body arrives in.
 */
class LongLineFolderTest {
  private static String fold(String body, int limit, int... cuts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LongLineFolder folder = new LongLineFolder(out, limit);
    byte[] bytes = body.getBytes(StandardCharsets.ISO_8859_1);
    int from = 0;
    for (int cut : cuts) {
      folder.write(bytes, from, cut - from);
      from = cut;
    }
    folder.write(bytes, from, bytes.length - from);
    folder.finish();
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  private static String postfix(String body, int limit) {
    return Corpus.brokenAsPostfixSends(body, limit);
  }

  @Test
  void linesUpToTheLimitPassByteForByte() throws IOException {
    String body = "a".repeat(998) + "\r\nshort\r\n\r\n" + "b".repeat(998) + "\r\n";
    assertThat(fold(body, 998)).isEqualTo(body);
  }

  @Test
  void aLongerLineIsBrokenWithCrlfSpaceAsPostfixDoes() throws IOException {
    assertThat(fold("x".repeat(999) + "\r\nend\r\n", 998))
        .isEqualTo("x".repeat(998) + "\r\n x\r\nend\r\n");
    String three = fold("y".repeat(3000) + "\r\n", 998);
    assertThat(three.split("\r\n"))
        .containsExactly(
            "y".repeat(998), " " + "y".repeat(997), " " + "y".repeat(997), " " + "y".repeat(8));
  }

  @Test
  void aCrInsideALineIsAnOctetOfItAndCrlfIsTheEnd() throws IOException {
    assertThat(fold("abc\rdefg\r\nhi", 4)).isEqualTo("abc\r\r\n def\r\n g\r\nhi");
    assertThat(fold("abcd\r", 4)).isEqualTo("abcd\r\n \r");
  }

  @Test
  void aHeaderBlockIsBrokenOnlyWhenALineIsLongAndOtherwiseIsTheSameArray() {
    byte[] fine = ("Subject: " + "s".repeat(989) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    assertThat(LongLineFolder.breakLines(fine, 998)).isSameAs(fine);
    for (String block :
        new String[] {"Subject: " + "s".repeat(990) + "\r\n\r\n", "X: " + "t".repeat(996)}) {
      byte[] bytes = block.getBytes(StandardCharsets.US_ASCII);
      assertThat(new String(LongLineFolder.breakLines(bytes, 998), StandardCharsets.US_ASCII))
          .isEqualTo(postfix(block, 998))
          .isNotEqualTo(block);
    }
  }

  @Test
  void aLimitOfZeroBreaksNothing() throws IOException {
    String body = "z".repeat(5000) + "\r\n";
    assertThat(fold(body, 0)).isEqualTo(body);
  }

  @Test
  void everyChunkingOfRandomBodiesGivesPostfixsOutputAndFoldingTwiceChangesNothing()
      throws IOException {
    Random random = new Random(32);
    String alphabet = "ab \t\r\n\n.";
    for (int round = 0; round < 300; round++) {
      StringBuilder body = new StringBuilder();
      int length = random.nextInt(120);
      for (int i = 0; i < length; i++) {
        body.append(random.nextInt(10) == 0 ? "\r\n" : alphabet.charAt(random.nextInt(5)));
      }
      String text = body.toString();
      int limit = 3 + random.nextInt(12);
      String expected = postfix(text, limit);
      for (int cut = 0; cut <= text.length(); cut++) {
        int second = cut + random.nextInt(text.length() - cut + 1);
        assertThat(fold(text, limit, cut, second)).as("%s cut %d", text, cut).isEqualTo(expected);
      }
      assertThat(fold(expected, limit)).isEqualTo(expected);
    }
  }

  @Test
  void mailSizedBodiesOfShortAndLongLinesMatchPostfixInChunksOfAnySize() throws IOException {
    Random random = new Random(998);
    for (int round = 0; round < 40; round++) {
      StringBuilder body = new StringBuilder();
      while (body.length() < 20_000) {
        int length = random.nextInt(8) == 0 ? 900 + random.nextInt(2200) : random.nextInt(100);
        body.append("w".repeat(length)).append(random.nextInt(30) == 0 ? "\r" : "").append("\r\n");
      }
      String text = body.toString();
      int first = random.nextInt(text.length());
      int second = first + random.nextInt(text.length() - first);
      assertThat(fold(text, 998, first, second)).isEqualTo(postfix(text, 998));
    }
  }
}
