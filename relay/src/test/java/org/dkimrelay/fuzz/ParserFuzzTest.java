package org.dkimrelay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.PublishedKeyRecord;
import org.dkimrelay.keys.TagList;
import org.dkimrelay.relay.config.ConfigException;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.config.NoNulls;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.HeaderBlock;
import org.dkimrelay.relay.dkim.MalformedMessageException;
import org.dkimrelay.relay.dkim.SigningTable;

/**
 * Fuzz targets for the parsers of what others send (header blocks and From:, DKIM tag-lists and key
 * records, the configuration file): each may refuse its input only with its own checked error,
 * never crash or hang; a header block that parses must be the input's own bytes, a tag-list must
 * read back from its tags, a configuration must mean the same once printed. In a normal test run
 * the seeds under src/test/resources run as regression tests; scripts/fuzz fuzzes. The SMTP reply
 * and DATA parsers have theirs beside them.
 */
class ParserFuzzTest {
  private static final SigningTable EMPTY_TABLE = new SigningTable(List.of(), true);

  /**
   * A parsed header block is the input: its fields, joined by CRLF, are the input's first bytes,
   * and what follows them is nothing, the last CRLF, or the empty line that ends the block.
   */
  @FuzzTest(maxDuration = "60s")
  void headerBlockAndFromDomain(byte[] input) {
    HeaderBlock block;
    try {
      block = HeaderBlock.parse(input);
      EMPTY_TABLE.decide(block); // From: parsing included; the result is always a decision
    } catch (MalformedMessageException expected) {
      return; // a refusal is a valid answer
    }
    java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < block.fields().size(); i++) {
      if (i > 0) {
        joined.writeBytes(CRLF);
      }
      joined.writeBytes(block.fields().get(i).raw());
    }
    byte[] fields = joined.toByteArray();
    byte[] rest = Arrays.copyOfRange(input, Math.min(fields.length, input.length), input.length);
    boolean prefix =
        Arrays.equals(input, 0, Math.min(fields.length, input.length), fields, 0, fields.length);
    boolean restAllowed =
        rest.length == 0
            || Arrays.equals(rest, CRLF)
            || startsWith(rest, EMPTY_LINE)
            || (block.fields().isEmpty() && startsWith(rest, CRLF));
    if (!prefix || !restAllowed) {
      throw new AssertionError("the parsed fields are not the input's header block");
    }
  }

  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] EMPTY_LINE = {'\r', '\n', '\r', '\n'};

  private static void check(boolean holds, String what) {
    if (!holds) {
      throw new AssertionError(what);
    }
  }

  private static boolean startsWith(byte[] bytes, byte[] start) {
    return bytes.length >= start.length
        && Arrays.equals(bytes, 0, start.length, start, 0, start.length);
  }

  @FuzzTest(maxDuration = "60s")
  void keyRecordAndTagList(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      Map<String, String> tags = TagList.parse(text);
      // Invariant: the tags, written again as a tag-list, read back as the same tags.
      String again =
          tags.entrySet().stream()
              .map(tag -> tag.getKey() + "=" + tag.getValue())
              .collect(Collectors.joining("; "));
      check(TagList.parse(again).equals(tags), "tag-list does not read back: " + again);
      PublishedKeyRecord.parse(text);
    } catch (KeyToolException expected) {
      // a refusal is a valid answer
    }
  }

  @FuzzTest(maxDuration = "60s")
  void configFile(byte[] input) {
    RelayConfig config;
    try {
      config = ConfigLoader.parse(new String(input, StandardCharsets.UTF_8), "fuzz.toml");
    } catch (ConfigException expected) {
      return; // a refusal with file and line is a valid answer
    }
    // Invariant: the settings carry no null, whatever the file left out.
    NoNulls.firstNull(config, "config")
        .ifPresent(path -> check(false, path + " is null after parsing"));
    // Invariant: what --print-config shows is a configuration file that means the same.
    String printed = ConfigLoader.render(config);
    try {
      check(
          ConfigLoader.render(ConfigLoader.parse(printed, "printed.toml")).equals(printed),
          "the printed configuration means something else:\n" + printed);
    } catch (ConfigException e) {
      throw new AssertionError("the printed configuration is refused: " + e.getMessage(), e);
    }
  }
}
