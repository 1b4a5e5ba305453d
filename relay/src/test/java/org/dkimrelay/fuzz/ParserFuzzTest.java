package org.dkimrelay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.PublishedKeyRecord;
import org.dkimrelay.keys.TagList;
import org.dkimrelay.relay.config.ConfigException;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.dkim.HeaderBlock;
import org.dkimrelay.relay.dkim.MalformedMessageException;
import org.dkimrelay.relay.dkim.SigningTable;

/**
 * Fuzz targets for the parsers of what others send (header blocks and From:, DKIM tag-lists and key
 * records, the configuration file): each may refuse its input only with its own checked error,
 * never crash or hang. In a normal test run the seeds under src/test/resources run as regression
 * tests; scripts/fuzz fuzzes. The SMTP reply and DATA parsers have theirs beside them.
 */
class ParserFuzzTest {
  private static final SigningTable EMPTY_TABLE = new SigningTable(List.of(), true);

  @FuzzTest(maxDuration = "60s")
  void headerBlockAndFromDomain(byte[] input) {
    try {
      HeaderBlock block = HeaderBlock.parse(input);
      EMPTY_TABLE.decide(block); // From: parsing included; the result is always a decision
    } catch (MalformedMessageException expected) {
      // a refusal is a valid answer
    }
  }

  @FuzzTest(maxDuration = "60s")
  void keyRecordAndTagList(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    try {
      TagList.parse(text);
      PublishedKeyRecord.parse(text);
    } catch (KeyToolException expected) {
      // a refusal is a valid answer
    }
  }

  @FuzzTest(maxDuration = "60s")
  void configFile(byte[] input) {
    try {
      ConfigLoader.parse(new String(input, StandardCharsets.UTF_8), "fuzz.toml");
    } catch (ConfigException expected) {
      // a refusal with file and line is a valid answer
    }
  }
}
