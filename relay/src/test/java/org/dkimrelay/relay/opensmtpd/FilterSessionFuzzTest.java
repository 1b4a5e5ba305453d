package org.dkimrelay.relay.opensmtpd;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.testing.TestKeys;

/**
 * Fuzz target: a whole filter session whose body lines are any bytes but LF (CR, "|", protocol
 * words and dots included). Every data byte comes back in order after the signature, the message is
 * signed and proceeds, and the memory budget is whole again at the end.
 */
class FilterSessionFuzzTest {
  private static final String HEADER = "From: a@example.com\nDate: x\nMessage-ID: <m@x>\n\n";
  private static final MessagePipeline PIPELINE =
      TestKeys.pipeline(Clock.systemUTC(), TestKeys.ed25519("example.com", "e1"));
  private static final Path SPOOL = spoolDirectory();

  private static Path spoolDirectory() {
    try {
      return Files.createTempDirectory("filter-fuzz");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "60s")
  void filterSession(byte[] input) throws IOException {
    List<String> sent = new ArrayList<>(List.of(HEADER.split("\n", -1)));
    sent.remove(sent.size() - 1);
    for (String line : new String(input, StandardCharsets.ISO_8859_1).split("\n", -1)) {
      if (!line.equals(".")) { // the end of the data
        sent.add(line);
      }
    }
    StringBuilder protocol = new StringBuilder("config|ready\n");
    for (String line : sent) {
      protocol.append("filter|0.6|1|smtp-in|data-line|s|t|").append(line).append('\n');
    }
    protocol.append("filter|0.6|1|smtp-in|data-line|s|t|.\n");
    protocol.append("filter|0.6|1|smtp-in|commit|s|c|\n");

    MemoryBudget budget = new MemoryBudget(4096);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, false, StandardCharsets.ISO_8859_1);
    new OpenSmtpdFilter(
            PIPELINE,
            new Spooler(SPOOL, 1024, budget, 64 * 1024, 1L << 30, 0),
            1 << 30,
            Clock.systemUTC(),
            out)
        .run(new ByteArrayInputStream(protocol.toString().getBytes(StandardCharsets.ISO_8859_1)));

    List<String> echoed = new ArrayList<>();
    for (String line : bytes.toString(StandardCharsets.ISO_8859_1).split("\n")) {
      if (line.startsWith("filter-dataline|s|t|")) {
        echoed.add(line.substring("filter-dataline|s|t|".length()));
      }
    }
    assertThat(echoed.get(0)).startsWith("DKIM-Signature:");
    int from = echoed.indexOf("From: a@example.com");
    assertThat(echoed.subList(from, echoed.size() - 1)).containsExactlyElementsOf(sent);
    assertThat(echoed.get(echoed.size() - 1)).isEqualTo(".");
    assertThat(bytes.toString(StandardCharsets.ISO_8859_1)).endsWith("filter-result|s|c|proceed\n");
    assertThat(budget.used()).isZero();
  }
}
