package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The body hash in one pass equals RFC 6376's rules written the direct way, for every input and
 * every way of splitting it into writes; and equals jDKIM's (the canonicalisers used before) for
 * every body as SMTP carries it (CRLF line ends, the last line ended), which is what the proxy, the
 * milter and the filter feed it. A last line without CRLF loses its trailing white space (relaxed):
 * it is what a receiver hashes once the message crossed SMTP, which ends that line; Mail::DKIM does
 * the same, jDKIM and dkimpy keep one SP.
 */
class BodyHasherTest {
  private static final byte[] ALPHABET = {'a', 'b', ' ', '\t', '\r', '\n', '.', (byte) 0xE9, 0};

  private static String hash(byte[] body, Canonicalization canonicalization, int split) {
    BodyHasher hasher = new BodyHasher(canonicalization);
    for (int at = 0; at < body.length; at += split) {
      hasher.write(body, at, Math.min(split, body.length - at));
    }
    return hasher.finish();
  }

  private static void check(byte[] body) throws Exception {
    boolean crlfOnly = asSmtpCarriesIt(body);
    for (Canonicalization canonicalization : Canonicalization.values()) {
      String expected = BodyHashOracle.rfc(body, canonicalization);
      for (int split : new int[] {1, 2, 3, 7, Math.max(1, body.length)}) {
        assertThat(hash(body, canonicalization, split))
            .as("%s split %d of %s", canonicalization, split, visible(body))
            .isEqualTo(expected);
      }
      if (crlfOnly) {
        assertThat(BodyHashOracle.jdkim(body, canonicalization))
            .as("jDKIM %s of %s", canonicalization, visible(body))
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void knownBodies() throws Exception {
    assertThat(hash(new byte[0], Canonicalization.RELAXED, 1))
        .isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="); // SHA-256 of nothing
    assertThat(hash(new byte[0], Canonicalization.SIMPLE, 1))
        .isEqualTo("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="); // SHA-256 of CRLF
    assertThat(hash(ascii(" \t\r\n\r\n  \r\n"), Canonicalization.RELAXED, 1))
        .isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    // RFC 6376 §3.4.6's example body, relaxed: " C \r\nD E\r\n"
    assertThat(hash(ascii(" C \r\nD \t E\r\n\r\n\r\n"), Canonicalization.RELAXED, 1))
        .isEqualTo(hash(ascii(" C\r\nD E\r\n"), Canonicalization.SIMPLE, 1));
    for (String body :
        new String[] {"x", "x ", "x\r", "x \r", " \r\n x", "a\r\r\nb", "a \rb\r\n", "\r\n.\r\n"}) {
      check(ascii(body));
    }
  }

  @Test
  void randomBodiesFromAnAlphabetOfTheBytesThatMatter() throws Exception {
    Random random = new Random(6376);
    for (int n = 0; n < 5_000; n++) {
      byte[] body = new byte[random.nextInt(40)];
      for (int i = 0; i < body.length; i++) {
        body[i] = ALPHABET[random.nextInt(ALPHABET.length)];
      }
      check(body);
    }
  }

  /**
   * Long runs of ordinary text, where the hasher tests eight bytes at a time, with one or two bytes
   * that need a decision at every offset: each lane of an eight-byte word, across words, and at the
   * end of the buffer.
   */
  // Line ends, then empty lines and lines of white space long enough to be read eight bytes at a
  // time: hashed only if a line with content follows.
  private static final String[] TAILS = {
    "\r\n",
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n",
    "\r\n \r\n\t\r\n  \r\n\r\n \r\n\r\n",
    "\r\n\r\n\r\n\r\n\r\n\r\nlast\r\n",
    "\r\n \r\n \r\n \r\n \r\n \r\nlast",
  };

  @Test
  void bytesThatNeedADecisionAtEveryOffsetOfLongRuns() throws Exception {
    String[] specials = {
      " ", "  ", " \t", "\t", " \r\n", "\r\n", "\r", "\n", " \r", "\0", "\u00e9"
    };
    for (String first : specials) {
      for (String second : specials) {
        for (int at = 0; at < 26; at++) {
          for (int gap : new int[] {0, 1, 7, 8, 9}) {
            StringBuilder body = new StringBuilder("abcdefghijklmnopqrstuvwxyz0123456789");
            body.insert(at, first);
            body.insert(Math.min(body.length(), at + first.length() + gap), second);
            check(body.toString().getBytes(StandardCharsets.ISO_8859_1));
            for (String tail : TAILS) {
              check((body + tail).getBytes(StandardCharsets.ISO_8859_1));
            }
          }
        }
      }
    }
  }

  @FuzzTest(maxDuration = "60s")
  void bodyHash(byte[] body) throws Exception {
    check(body);
  }

  private static boolean asSmtpCarriesIt(byte[] body) {
    int n = body.length;
    if (n > 0 && (n < 2 || body[n - 2] != '\r' || body[n - 1] != '\n')) {
      return false;
    }
    for (int i = 0; i < body.length; i++) {
      boolean cr = body[i] == '\r';
      boolean lf = body[i] == '\n';
      if ((cr && (i + 1 == body.length || body[i + 1] != '\n'))
          || (lf && (i == 0 || body[i - 1] != '\r'))) {
        return false;
      }
    }
    return true;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String visible(byte[] body) {
    return new String(body, StandardCharsets.ISO_8859_1)
        .replace("\r", "\\r")
        .replace("\n", "\\n")
        .replace("\t", "\\t");
  }
}
