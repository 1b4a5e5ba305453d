package org.dkimrelay.relay.dkim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The header fields of a message, parsed from its exact bytes (CRLF line endings). Our own parser:
 * it keeps every byte, accepts any number of fields and lines of any length, and is strict only
 * where signing would otherwise be unsafe.
 */
public final class HeaderBlock {
  private final List<HeaderField> fields;
  private final Map<String, List<HeaderField>> byLowerName;

  private HeaderBlock(List<HeaderField> fields) {
    this.fields = List.copyOf(fields);
    Map<String, List<HeaderField>> index = new HashMap<>();
    for (HeaderField field : fields) {
      index.computeIfAbsent(field.lowerName(), name -> new ArrayList<>()).add(field);
    }
    this.byLowerName = index;
  }

  /**
   * Parses a header block: fields, optionally followed by the empty line that ends them. Lines that
   * start with WSP continue the field before them (RFC 5322 §2.2.3).
   *
   * @throws MalformedMessageException for a line that is neither a field nor a continuation
   */
  public static HeaderBlock parse(byte[] block) throws MalformedMessageException {
    List<HeaderField> fields = new ArrayList<>();
    ByteArrayOutputStream current = null;
    int colon = -1;
    int lineNumber = 0;
    int start = 0;
    while (start < block.length) {
      int end = lineEnd(block, start);
      lineNumber++;
      if (end == start) {
        break; // the empty line: the header block ends here
      }
      boolean continuation = block[start] == ' ' || block[start] == '\t';
      if (continuation) {
        if (current == null) {
          throw new MalformedMessageException("header line 1 starts with white space");
        }
        current.write('\r');
        current.write('\n');
        current.write(block, start, end - start);
      } else {
        if (current != null) {
          fields.add(new HeaderField(current.toByteArray(), colon));
        }
        colon = fieldNameEnd(block, start, end, lineNumber);
        current = new ByteArrayOutputStream(end - start + 16);
        current.write(block, start, end - start);
      }
      start = Math.min(end + 2, block.length);
    }
    if (current != null) {
      fields.add(new HeaderField(current.toByteArray(), colon));
    }
    return new HeaderBlock(fields);
  }

  public List<HeaderField> fields() {
    return fields;
  }

  /** Every field with this name, top to bottom. */
  public List<HeaderField> all(String name) {
    return List.copyOf(byLowerName.getOrDefault(name.toLowerCase(Locale.ROOT), List.of()));
  }

  public int count(String name) {
    return byLowerName.getOrDefault(name.toLowerCase(Locale.ROOT), List.of()).size();
  }

  /** Where the line starting at {@code start} ends: the index of its CR, or the block's end. */
  private static int lineEnd(byte[] block, int start) {
    for (int i = start; i < block.length - 1; i++) {
      if (block[i] == '\r' && block[i + 1] == '\n') {
        return i;
      }
    }
    return block.length;
  }

  /**
   * RFC 5322 §3.6.8: field-name is printable ASCII except colon, then optional WSP (obsolete
   * syntax, §4.5), then the colon. Returns the colon's index relative to the field start.
   */
  private static int fieldNameEnd(byte[] block, int start, int end, int lineNumber)
      throws MalformedMessageException {
    int i = start;
    while (i < end && block[i] >= 33 && block[i] <= 126 && block[i] != ':') {
      i++;
    }
    int nameEnd = i;
    while (i < end && (block[i] == ' ' || block[i] == '\t')) {
      i++;
    }
    if (nameEnd == start || i == end || block[i] != ':') {
      String shown =
          new String(
              Arrays.copyOfRange(block, start, Math.min(end, start + 40)),
              StandardCharsets.ISO_8859_1);
      throw new MalformedMessageException(
          "header line " + lineNumber + " is not a field (no 'Name:'): " + printable(shown));
    }
    return i - start;
  }

  private static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (char c : text.toCharArray()) {
      out.append(c >= 32 && c < 127 ? c : '?');
    }
    return out.toString();
  }
}
