package org.dkimrelay.relay.dkim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * One header field exactly as received: its bytes from the name to the end of its last line,
 * without the final CRLF, folding kept. Bytes stay bytes (8-bit and non-UTF-8 included), so the
 * field is hashed exactly as it is sent, whatever the JVM's charset or locale.
 */
public final class HeaderField {
  private final byte[] raw;
  private final int colon;
  private final String name;
  private final String lowerName; // used per field per signature: computed once

  HeaderField(byte[] raw, int colon) {
    this.raw = raw;
    this.colon = colon;
    int nameEnd = colon;
    // RFC 5322 §4.5.5 obsolete syntax: WSP between the name and the colon is not part of the name.
    while (nameEnd > 0 && (raw[nameEnd - 1] == ' ' || raw[nameEnd - 1] == '\t')) {
      nameEnd--;
    }
    this.name = new String(raw, 0, nameEnd, StandardCharsets.ISO_8859_1);
    this.lowerName = name.toLowerCase(Locale.ROOT);
  }

  /** A single field from its bytes (name, colon, value); used for fields we build ourselves. */
  static HeaderField parse(byte[] raw) {
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == ':') {
        return new HeaderField(raw, i);
      }
    }
    throw new IllegalArgumentException("no colon in header field");
  }

  /** The name as written ({@code Subject}, {@code SUBJECT}); see {@link #is(String)}. */
  public String name() {
    return name;
  }

  /** Header names compare case-insensitively (RFC 5322 §1.2.2), in ASCII only. */
  public boolean is(String otherName) {
    return name.equalsIgnoreCase(otherName);
  }

  /** The name in lower case, as relaxed canonicalisation and {@code h=} use it. */
  public String lowerName() {
    return lowerName;
  }

  /** The field exactly as received, without the final CRLF. */
  public byte[] raw() {
    return raw.clone();
  }

  /** The bytes after the colon, folding included. */
  public byte[] value() {
    return Arrays.copyOfRange(raw, colon + 1, raw.length);
  }

  /** The value as text for parsing (From addresses): unfolded, bytes decoded as UTF-8. */
  public String unfoldedValue() {
    return new String(value(), StandardCharsets.UTF_8).replace("\r\n", "");
  }

  /** Writes the field as received, without copying it first (the signing hot path). */
  void writeRawTo(ByteArrayOutputStream out) {
    out.write(raw, 0, raw.length);
  }

  int length() {
    return raw.length;
  }

  byte byteAt(int index) {
    return raw[index];
  }

  int colonIndex() {
    return colon;
  }

  @Override
  public String toString() {
    return new String(raw, StandardCharsets.ISO_8859_1);
  }
}
