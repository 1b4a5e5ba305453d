package org.dkimrelay.relay.dkim;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.regex.Pattern;
import org.apache.james.jdkim.impl.BodyHasherImpl;
import org.apache.james.jdkim.tagvalue.SignatureRecordImpl;

/** Two independent body hashes that {@link BodyHasher} must agree with. */
final class BodyHashOracle {
  private static final Pattern TRAILING_WSP = Pattern.compile("[ \t]+\r\n");
  private static final Pattern WSP_RUN = Pattern.compile("[ \t]+");
  private static final Pattern TRAILING_EMPTY_LINES = Pattern.compile("(\r\n)+$");

  private BodyHashOracle() {}

  /**
   * RFC 6376 §3.4.3/§3.4.4 written the most direct way, on the whole body as text: the order of the
   * rules as dkimpy applies them, with a missing last CRLF added first (rule c).
   */
  static String rfc(byte[] body, Canonicalization canonicalization) throws Exception {
    String text = new String(body, StandardCharsets.ISO_8859_1);
    if (!text.isEmpty() && !text.endsWith("\r\n")) {
      text += "\r\n";
    }
    if (canonicalization == Canonicalization.RELAXED) {
      text = TRAILING_WSP.matcher(text).replaceAll("\r\n");
      text = WSP_RUN.matcher(text).replaceAll(" ");
      text = TRAILING_WSP.matcher(text).replaceAll("\r\n"); // a run reduced to SP before CRLF
      text = TRAILING_EMPTY_LINES.matcher(text).replaceAll("\r\n");
      text = text.equals("\r\n") ? "" : text;
    } else {
      text = TRAILING_EMPTY_LINES.matcher(text).replaceAll("\r\n");
      text = text.isEmpty() ? "\r\n" : text;
    }
    return Base64.getEncoder()
        .encodeToString(
            MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.ISO_8859_1)));
  }

  /**
   * Apache James jDKIM 0.5's canonicalisers, which the relay used before; its relaxed hash of an
   * empty (or blank-lines-only) body is corrected to the empty string's, RFC 6376 §3.4.4.
   */
  static String jdkim(byte[] body, Canonicalization canonicalization) throws Exception {
    BodyHasherImpl hasher =
        new BodyHasherImpl(
            new SignatureRecordImpl(
                "v=1; a=rsa-sha256; c=simple/"
                    + canonicalization.tagValue()
                    + "; d=body.invalid; s=body; h=from; bh=; b=;"));
    try (OutputStream out = hasher.getOutputStream()) {
      out.write(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    boolean blank = true;
    for (byte b : body) {
      blank &= b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }
    return canonicalization == Canonicalization.RELAXED && blank
        ? "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        : Base64.getEncoder().encodeToString(hasher.getDigest());
  }
}
