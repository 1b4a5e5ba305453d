package org.dkimrelay.relay.dkim;

import java.util.List;

/**
 * Writes a DKIM-Signature field folded at 78 columns (RFC 5322 §2.1.1), breaking only where RFC
 * 6376 allows folding white space: between tags, after the colons of {@code h=}, and inside the
 * base64 of {@code b=}. The text up to {@code b=} is what gets signed, so it is built first and the
 * signature is appended after, starting on the same line as {@code b=}.
 */
final class SignatureFieldBuilder {
  private static final int MAX_LINE = 78;
  private static final int MIN_ROOM_AFTER_B = 8;
  private static final String FOLD = "\r\n ";

  private final StringBuilder text = new StringBuilder("DKIM-Signature:");
  private int lineLength = text.length();

  /** Adds a tag, such as {@code d=example.com;}, with a space (or a fold) before it. */
  SignatureFieldBuilder tag(String tag) {
    return token(tag, true);
  }

  /** Adds {@code h=a:b:c;}, folding after any colon where the line would run long. */
  SignatureFieldBuilder headerList(List<String> names) {
    for (int i = 0; i < names.size(); i++) {
      boolean last = i == names.size() - 1;
      String token = (i == 0 ? "h=" : "") + names.get(i) + (last ? ";" : ":");
      token(token, i == 0);
    }
    return this;
  }

  /** Ends with {@code b=}: the text to sign. Folds first if too little room would be left. */
  String unsignedText() {
    if (lineLength + 1 + 2 + MIN_ROOM_AFTER_B > MAX_LINE) {
      text.append(FOLD);
      lineLength = 1;
    } else {
      text.append(' ');
      lineLength++;
    }
    text.append("b=");
    lineLength += 2;
    return text.toString();
  }

  /** Appends the base64 signature after {@code b=}, filling lines, and the final CRLF. */
  String signedText(String base64) {
    int position = 0;
    while (position < base64.length()) {
      if (lineLength >= MAX_LINE) {
        text.append(FOLD);
        lineLength = 1;
      }
      int take = Math.min(MAX_LINE - lineLength, base64.length() - position);
      text.append(base64, position, position + take);
      lineLength += take;
      position += take;
    }
    return text.append("\r\n").toString();
  }

  private SignatureFieldBuilder token(String token, boolean spaced) {
    int needed = token.length() + (spaced ? 1 : 0);
    if (lineLength + needed > MAX_LINE && lineLength > 1) {
      text.append(FOLD);
      lineLength = 1;
    } else if (spaced) {
      text.append(' ');
      lineLength++;
    }
    text.append(token);
    lineLength += token.length();
    return this;
  }
}
