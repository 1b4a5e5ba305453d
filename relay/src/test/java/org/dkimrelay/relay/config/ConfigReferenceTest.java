package org.dkimrelay.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The configuration reference cannot drift from the code: every setting the defaults hold (as
 * {@code run --print-config} renders them, the one source of the defaults) has a row in the
 * documented table of its section, with that default.
 */
class ConfigReferenceTest {
  private static final List<Path> DOCUMENTS =
      List.of(Path.of("..", "docs", "configuration.md"), Path.of("..", "docs", "operations.md"));
  private static final Pattern SECTION_TABLE = Pattern.compile("^\\| `\\[([a-z.]+)\\]` \\|");
  private static final Pattern SECTION_TEXT = Pattern.compile("^The `\\[([a-z.]+)\\]` section");
  private static final Pattern ROW = Pattern.compile("^\\| ([^|]+) \\| ([^|]+) \\|");
  private static final Pattern RENDERED = Pattern.compile("^([a-z-]+)\\.([a-z-]+) = (.*)$");

  /** section.key → the documented default, from every table of the documents. */
  private static Map<String, String> documented() throws IOException {
    Map<String, String> defaults = new HashMap<>();
    for (Path document : DOCUMENTS) {
      String section = null;
      for (String line : Files.readAllLines(document)) {
        Matcher table = SECTION_TABLE.matcher(line);
        Matcher text = SECTION_TEXT.matcher(line);
        if (table.find()) {
          section = table.group(1);
          continue;
        }
        if (text.find()) {
          section = text.group(1);
          continue;
        }
        Matcher row = ROW.matcher(line);
        if (section == null || !row.find() || !row.group(1).startsWith("`")) {
          if (line.isBlank() || !line.startsWith("|")) {
            section = line.isBlank() ? section : null; // a table ends at its first prose line
          }
          continue;
        }
        String[] names = row.group(1).split(",\\s*");
        String[] values = row.group(2).split(",\\s*(?=`|\\()");
        for (int i = 0; i < names.length; i++) {
          String value = names.length == values.length ? values[i] : row.group(2);
          defaults.put(section + "." + names[i].replace("`", "").strip(), value);
        }
      }
    }
    return defaults;
  }

  /** Quotes, brackets, back-ticks and spaces do not count: {@code ['a', 'b']} is {@code a, b}. */
  private static String plain(String value) {
    return value.replaceAll("[\\[\\]'\"`\\s]", "");
  }

  @Test
  void everyDefaultIsDocumentedAsTheCodeHasIt() throws IOException {
    Map<String, String> documented = documented();
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (String line : ConfigLoader.render(RelayConfig.defaults()).split("\n")) {
      Matcher setting = RENDERED.matcher(line.strip());
      if (!setting.matches() || setting.group(3).equals("{}")) {
        continue; // an empty table: documented as "(off)" or "(none)"
      }
      checked++;
      String key = setting.group(1) + "." + setting.group(2);
      String doc = documented.get(key);
      if (doc == null) {
        wrong.add(key + " = " + setting.group(3) + ": no row in the docs");
      } else if (!plain(doc).equals(plain(setting.group(3)))) {
        wrong.add(key + ": the code says " + setting.group(3) + ", the docs " + doc);
      }
    }
    assertThat(checked).as("settings checked").isGreaterThan(30);
    assertThat(wrong).isEmpty();
  }
}
