package org.dkimrelay.relay.dkim;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * RFC 6376 §3.4.1 and §3.4.2 over bytes. jDKIM's own header canonicalisation goes through {@code
 * String.getBytes()} and default-locale lower-casing, so its result depends on {@code LANG} and
 * {@code user.language}; this one depends only on the bytes.
 */
final class HeaderCanonicalizer {
  private HeaderCanonicalizer() {}

  /**
   * RFC 6376 §5.4.2: the canonical header data for {@code h=}. For each name, the bottom-most field
   * of that name not yet used; a name with no field left adds nothing (that makes oversigning
   * work). Names compare case-insensitively.
   */
  static byte[] signedHeaders(
      HeaderBlock headers, List<String> signedNames, Canonicalization canonicalization) {
    Map<String, List<HeaderField>> remaining = new HashMap<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    for (String name : signedNames) {
      List<HeaderField> left =
          remaining.computeIfAbsent(
              name.toLowerCase(Locale.ROOT), n -> new ArrayList<>(headers.all(n)));
      if (!left.isEmpty()) {
        append(left.remove(left.size() - 1), canonicalization, out);
      }
    }
    return out.toByteArray();
  }

  /**
   * §3.7: the signed header data followed by the DKIM-Signature field itself, its {@code b=} value
   * empty and without its final CRLF.
   */
  static byte[] withSignatureField(
      byte[] signedHeaders, HeaderField signatureField, Canonicalization canonicalization) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(signedHeaders.length + 512);
    out.writeBytes(signedHeaders);
    appendUnterminated(signatureField, canonicalization, out);
    return out.toByteArray();
  }

  /** Appends the canonical form of {@code field}, followed by CRLF, to {@code out}. */
  private static void append(
      HeaderField field, Canonicalization canonicalization, ByteArrayOutputStream out) {
    appendUnterminated(field, canonicalization, out);
    out.write('\r');
    out.write('\n');
  }

  /**
   * Appends the canonical form of a field without the final CRLF: the DKIM-Signature field being
   * signed or verified is hashed last and without it (§3.7).
   */
  private static void appendUnterminated(
      HeaderField field, Canonicalization canonicalization, ByteArrayOutputStream out) {
    if (canonicalization == Canonicalization.SIMPLE) {
      field.writeRawTo(out); // §3.4.1: no change at all
    } else {
      appendRelaxed(field, out);
    }
  }

  /**
   * §3.4.2: lower-case the name; unfold; reduce every run of WSP to one SP; delete WSP at the end
   * of the value and around the colon.
   */
  private static void appendRelaxed(HeaderField field, ByteArrayOutputStream out) {
    for (char c : field.lowerName().toCharArray()) {
      out.write(c); // the name is printable ASCII (checked when parsed)
    }
    out.write(':');
    boolean pendingSpace = false;
    boolean valueStarted = false;
    for (int i = field.colonIndex() + 1; i < field.length(); i++) {
      byte b = field.byteAt(i);
      if (b == '\r' || b == '\n') {
        continue; // unfold: CRLF inside a field is always followed by WSP, which stays
      }
      if (b == ' ' || b == '\t') {
        pendingSpace = valueStarted; // no space right after the colon
        continue;
      }
      if (pendingSpace) {
        out.write(' ');
        pendingSpace = false;
      }
      out.write(b);
      valueStarted = true;
    }
  }
}
