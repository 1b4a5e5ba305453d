package org.dkimrelay.relay.dkim;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Map;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.impl.BodyHasherImpl;
import org.apache.james.jdkim.tagvalue.SignatureRecordImpl;

/**
 * Hashes a body as it streams past (RFC 6376 §3.7 {@code bh=}), with jDKIM's canonicalisers and
 * SHA-256. One hash serves every signature of a message: the body canonicalisation and hash are the
 * same for RSA and Ed25519.
 *
 * <p>jDKIM hashes a relaxed body that is empty or only blank lines as CRLF; RFC 6376 §3.4.4 makes
 * it empty (hash {@code 47DEQpj8...}). This class tracks whether anything but white space and line
 * ends went past, and answers the empty hash when nothing did.
 */
public final class BodyHasher extends OutputStream {
  private static final String EMPTY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

  // jDKIM takes its settings from a signature template; only a=, c= and l= matter here. Parsed
  // once: jDKIM only reads them.
  private static final Map<Canonicalization, SignatureRecord> TEMPLATES =
      new EnumMap<>(
          Map.of(
              Canonicalization.SIMPLE, template(Canonicalization.SIMPLE),
              Canonicalization.RELAXED, template(Canonicalization.RELAXED)));

  private final Canonicalization canonicalization;
  private final BodyHasherImpl jdkim;
  private final OutputStream canonicalizer;
  private boolean sawContent;
  private String result;

  public BodyHasher(Canonicalization canonicalization) {
    this.canonicalization = canonicalization;
    try {
      this.jdkim = new BodyHasherImpl(TEMPLATES.get(canonicalization));
    } catch (PermFailException e) {
      throw new IllegalStateException("jDKIM refused the body hash template", e);
    }
    this.canonicalizer = jdkim.getOutputStream();
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (!sawContent) {
      for (int i = offset; i < offset + length && !sawContent; i++) {
        byte b = bytes[i];
        sawContent = b != ' ' && b != '\t' && b != '\r' && b != '\n';
      }
    }
    canonicalizer.write(bytes, offset, length);
  }

  private static SignatureRecord template(Canonicalization body) {
    return new SignatureRecordImpl(
        "v=1; a=rsa-sha256; c=simple/"
            + body.tagValue()
            + "; d=body.invalid; s=body; h=from; bh=; b=;");
  }

  /** Ends the body and returns its hash, base64 as in {@code bh=}. */
  public String finish() {
    if (result == null) {
      try {
        canonicalizer.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      byte[] digest = jdkim.getDigest();
      boolean relaxedEmpty = canonicalization == Canonicalization.RELAXED && !sawContent;
      result = relaxedEmpty ? EMPTY_SHA256 : Base64.getEncoder().encodeToString(digest);
    }
    return result;
  }

  @Override
  public void close() {
    finish();
  }
}
