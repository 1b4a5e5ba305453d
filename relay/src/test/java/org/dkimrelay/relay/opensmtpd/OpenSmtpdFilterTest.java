package org.dkimrelay.relay.opensmtpd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.testing.TestKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filter protocol as smtpd 6.8 speaks it (protocol 0.6), line by line, without smtpd. */
class OpenSmtpdFilterTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);
  private static final String HANDSHAKE =
      "config|smtpd-version|6.8.0p2\nconfig|smtp-session-timeout|300\nconfig|subsystem|smtp-in\n"
          + "config|admd|mta.test\nconfig|ready\n";
  private static SigningKey key;

  @BeforeAll
  static void key() {
    key = TestKeys.ed25519("example.com", "e1");
  }

  @TempDir static Path spoolDir;

  private static List<String> run(String input) throws Exception {
    return run(input, new MemoryBudget(1 << 20));
  }

  /** The filter's output lines, split at LF only (a CR is data, as on the wire). */
  private static List<String> run(String input, MemoryBudget budget) throws Exception {
    MessagePipeline pipeline = TestKeys.pipeline(CLOCK, key);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, false, StandardCharsets.ISO_8859_1);
    Spooler spooler = new Spooler(spoolDir, 4096, budget, 64 * 1024, 1 << 30, 998);
    new OpenSmtpdFilter(pipeline, spooler, 1024 * 1024, CLOCK, out)
        .run(new ByteArrayInputStream(input.getBytes(StandardCharsets.ISO_8859_1)));
    assertThat(budget.used()).as("memory given back").isZero();
    return List.of(bytes.toString(StandardCharsets.ISO_8859_1).split("\n"));
  }

  private static String data(String session, String... lines) {
    StringBuilder text = new StringBuilder();
    for (String line : lines) {
      text.append("filter|0.6|1764669600.1|smtp-in|data-line|")
          .append(session)
          .append("|t1|")
          .append(line)
          .append('\n');
    }
    return text.append("filter|0.6|1764669600.2|smtp-in|commit|")
        .append(session)
        .append("|t2|\n")
        .toString();
  }

  @Test
  void registersForDataLinesAndCommitOnlyAfterConfigReady() throws Exception {
    assertThat(run(HANDSHAKE))
        .containsExactly(
            "register|filter|smtp-in|data-line",
            "register|filter|smtp-in|commit",
            "register|report|smtp-in|link-auth",
            "register|report|smtp-in|link-disconnect",
            "register|ready");
  }

  /** The commit answer for session s1 after a login reported as {@code authLine}. */
  private static String afterLogin(String authLine, String from) throws Exception {
    List<String> out =
        run(HANDSHAKE + authLine + "\n" + data("s1", "From: " + from, "", "body", "."));
    return out.stream().filter(l -> l.startsWith("filter-result|s1|t2|")).findFirst().orElseThrow();
  }

  @Test
  void aLoginReportedBySmtpdIsBoundToItsDomainInBothReportFormats() throws Exception {
    // 0.6 (OpenSMTPD 6.8): USER|RESULT; 0.7 (7.x): RESULT|USER
    String old = "report|0.6|1764669600.0|smtp-in|link-auth|s1|alice@example.com|pass";
    String current = "report|0.7|1764669600.0|smtp-in|link-auth|s1|pass|alice@example.com";
    for (String auth : List.of(old, current)) {
      assertThat(afterLogin(auth, "alice@example.com")).isEqualTo("filter-result|s1|t2|proceed");
      assertThat(afterLogin(auth, "ceo@example.com")).isEqualTo("filter-result|s1|t2|proceed");
    }
    String mallory = "report|0.6|1764669600.0|smtp-in|link-auth|s1|mallory@example.net|pass";
    assertThat(afterLogin(mallory, "ceo@example.com"))
        .startsWith(
            "filter-result|s1|t2|reject|550 5.7.1 not signing for this sender: login"
                + " mallory@example.net may not sign for example.com");
    // a failed login is no login: the client's mail is not bound (smtpd refuses it anyway)
    String failed = "report|0.6|1764669600.0|smtp-in|link-auth|s1|mallory@example.net|fail";
    assertThat(afterLogin(failed, "ceo@example.com")).isEqualTo("filter-result|s1|t2|proceed");
  }

  @Test
  void theSignatureComesFirstThenEveryLineUnchangedWithDateAndMessageIdAdded() throws Exception {
    List<String> out =
        run(
            HANDSHAKE
                + data(
                    "s1",
                    "Received: from client",
                    "From: a@example.com",
                    "Subject: a|b",
                    "",
                    "..dot",
                    "."));
    List<String> lines =
        out.stream()
            .filter(l -> l.startsWith("filter-dataline|s1|t1|"))
            .map(l -> l.substring(22))
            .toList();
    assertThat(lines.get(0)).startsWith("DKIM-Signature: v=1; a=ed25519-sha256;");
    int received = lines.indexOf("Received: from client");
    assertThat(lines.subList(1, received)).allMatch(line -> line.startsWith(" ")); // folded
    assertThat(lines.subList(received, lines.size()))
        .containsExactly(
            "Received: from client",
            "From: a@example.com",
            "Subject: a|b",
            "Date: Wed, 2 Dec 2026 10:00:00 +0000",
            lines.get(received + 4),
            "",
            "..dot",
            ".");
    assertThat(lines.get(received + 4)).matches("Message-ID: <[0-9a-f-]+@mta.test>");
    assertThat(out.get(out.size() - 1)).isEqualTo("filter-result|s1|t2|proceed");
  }

  @Test
  void twoFromFieldsEndTheDataAndAreRejectedAtCommitWith550() throws Exception {
    List<String> out =
        run(HANDSHAKE + data("s2", "From: a@example.com", "From: b@example.net", "", "x", "."));
    assertThat(out.subList(5, out.size()))
        .containsExactly(
            "filter-dataline|s2|t1|.",
            "filter-result|s2|t2|reject|550 5.6.0 cannot sign this message: 2 From: header fields"
                + " (exactly one allowed)");
  }

  @Test
  void linesThatAreNotTheProtocolAreIgnoredAndTheFilterEndsOnlyAtEndOfInput() throws Exception {
    List<String> out =
        run(
            HANDSHAKE
                + "garbage\nfilter|0.6\nreport|0.6|1|smtp-in|link-disconnect|s9\n"
                + data("s3", "From: a@example.com", "", "b", "."));
    assertThat(out.get(out.size() - 1)).isEqualTo("filter-result|s3|t2|proceed");
  }

  private static List<String> echoed(List<String> out, String session) {
    String prefix = "filter-dataline|" + session + "|t1|";
    return out.stream()
        .filter(l -> l.startsWith(prefix))
        .map(l -> l.substring(prefix.length()))
        .toList();
  }

  @Test
  void aBareCrInsideADataLineIsTheMessagesOwnByteAndComesBackUnchanged() throws Exception {
    List<String> out =
        run(
            HANDSHAKE
                + data(
                    "s4",
                    "From: a@example.com",
                    "Date: x",
                    "Message-ID: <m@x>",
                    "",
                    "part one\rpart two",
                    "innocent\rconfig|ready",
                    "x\rfilter|0.6|1|smtp-in|data-line|s4|t1|.",
                    "last",
                    "."));
    List<String> lines = echoed(out, "s4");
    assertThat(lines.subList(lines.indexOf(""), lines.size()))
        .containsExactly(
            "",
            "part one\rpart two",
            "innocent\rconfig|ready",
            "x\rfilter|0.6|1|smtp-in|data-line|s4|t1|.",
            "last",
            ".");
    assertThat(out).filteredOn(l -> l.startsWith("register|")).hasSize(5); // the handshake's
    assertThat(out.get(out.size() - 1)).isEqualTo("filter-result|s4|t2|proceed");
  }

  @Test
  void aProtocolVersionTheFilterDoesNotSpeakStopsItNamingTheVersion() {
    for (String version : List.of("9.9", "0.1")) {
      assertThatThrownBy(
              () ->
                  run(
                      HANDSHAKE
                          + data("s5", "From: a@example.com", "", "x", ".")
                              .replace("|0.6|", "|" + version + "|")))
          .isInstanceOf(OpenSmtpdFilter.UnsupportedVersion.class)
          .hasMessageContaining("smtpd speaks filter protocol " + version)
          .hasMessageContaining("0.5, 0.6, 0.7");
    }
  }

  @Test
  void aLineLongerThanTheFilterKeepsIsRefusedAtCommitAndTheFilterStaysInStep() throws Exception {
    String huge = "y".repeat(FilterInput.MAX_LINE + 10);
    List<String> out =
        run(
            HANDSHAKE
                + data("s6", "From: a@example.com", "", huge, "after", ".")
                + data("s7", "From: a@example.com", "", "fine", "."));
    assertThat(echoed(out, "s6")).containsExactly(".");
    assertThat(out)
        .anyMatch(
            l -> l.startsWith("filter-result|s6|t2|reject|550 5.6.0 cannot sign this message:"));
    assertThat(echoed(out, "s7")).contains("fine", ".");
    assertThat(out.get(out.size() - 1)).isEqualTo("filter-result|s7|t2|proceed");
  }

  @Test
  void heldLinesBeyondTheMemoryBudgetGoToASpoolFileAndComeBackInOrder() throws Exception {
    String[] lines = new String[3003];
    lines[0] = "From: a@example.com";
    lines[1] = "";
    for (int i = 2; i < 3002; i++) {
      lines[i] = "line " + i + " " + "z".repeat(60);
    }
    lines[3002] = ".";
    List<String> out = run(HANDSHAKE + data("s8", lines), new MemoryBudget(2048));
    List<String> echoed = echoed(out, "s8");
    assertThat(echoed.subList(echoed.indexOf(""), echoed.size()))
        .containsExactlyElementsOf(List.of(lines).subList(1, lines.length));
    try (var files = Files.list(spoolDir)) {
      assertThat(files).as("the spool file is deleted").isEmpty();
    }
    assertThat(out.get(out.size() - 1)).isEqualTo("filter-result|s8|t2|proceed");
  }

  @Test
  void aBodyLineOverTheLimitIsSentOnBrokenAsSignedKeepingItsDotStuffing() throws Exception {
    String line = "..dot then " + "w".repeat(1500);
    List<String> out =
        run(
            HANDSHAKE
                + data("s9", "From: a@example.com", "Date: x", "Message-ID: <m@x>", "", line, "."));
    List<String> echoed = echoed(out, "s9");
    List<String> body = echoed.subList(echoed.indexOf("") + 1, echoed.size() - 1);
    String unstuffed = line.substring(1);
    assertThat(body)
        .containsExactly("." + unstuffed.substring(0, 998), " " + unstuffed.substring(998));
    assertThat(out.get(out.size() - 1)).isEqualTo("filter-result|s9|t2|proceed");
  }

  @Test
  void aLongHeaderLineIsSentOnBrokenAndTheAddedFieldsStillEndTheHeader() throws Exception {
    String subject = "Subject: " + "v".repeat(1200);
    List<String> out = run(HANDSHAKE + data("s10", "From: a@example.com", subject, "", "x", "."));
    List<String> echoed = echoed(out, "s10");
    int from = echoed.indexOf("From: a@example.com");
    assertThat(echoed.get(from + 1)).isEqualTo(subject.substring(0, 998));
    assertThat(echoed.get(from + 2)).isEqualTo(" " + subject.substring(998));
    assertThat(echoed.get(from + 3)).startsWith("Date: ");
    assertThat(echoed.get(from + 4)).startsWith("Message-ID: ");
    assertThat(echoed.subList(from + 5, echoed.size())).containsExactly("", "x", ".");
  }
}
