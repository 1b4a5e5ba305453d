package org.dkimrelay.relay.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.List;
import org.dkimrelay.relay.cli.Corpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolerTest {
  @TempDir Path dir;

  private Spooler spooler(int threshold, long max) {
    return new Spooler(dir, threshold, new MemoryBudget(Long.MAX_VALUE), 1024, max, 0);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String bodyOf(SpooledMessage message) throws IOException {
    try (InputStream body = message.openBody()) {
      return new String(body.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void bareLfAndBareCrBecomeCrlfWhereverTheInputIsSplit() throws Exception {
    String raw = "A: 1\nB: 2\r\n\r\nline\rnext\n\nend\r";
    String expectedHeader = "A: 1\r\nB: 2\r\n\r\n";
    String expectedBody = "line\r\nnext\r\n\r\nend\r\n";
    byte[] bytes = ascii(raw);
    for (int split = 0; split <= bytes.length; split++) {
      InputStream in =
          new SequenceInputStream(
              Collections.enumeration(
                  List.of(
                      new ByteArrayInputStream(bytes, 0, split),
                      new ByteArrayInputStream(bytes, split, bytes.length - split))));
      ByteArrayOutputStream tap = new ByteArrayOutputStream();
      try (SpooledMessage message = spooler(1 << 20, Long.MAX_VALUE).spool(in, tap)) {
        assertThat(new String(message.header(), StandardCharsets.ISO_8859_1))
            .as("split %d", split)
            .isEqualTo(expectedHeader);
        assertThat(bodyOf(message)).isEqualTo(expectedBody);
        assertThat(tap.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expectedBody);
        assertThat(message.size()).isEqualTo(expectedHeader.length() + expectedBody.length());
      }
    }
  }

  @Test
  void aByteOver127AnywhereMakesTheMessageEightBitAndControlBytesDoNot() throws Exception {
    byte[] plain = ascii("A: 1\r\n\r\n\u000b\u000c\u000e\u007f tab\there\r\n");
    try (SpooledMessage message =
        spooler(1 << 20, Long.MAX_VALUE)
            .spool(new ByteArrayInputStream(plain), OutputStream.nullOutputStream())) {
      assertThat(message.eightBit()).isFalse();
      assertThat(bodyOf(message)).isEqualTo("\u000b\u000c\u000e\u007f tab\there\r\n");
    }
    for (int at = 0; at < plain.length; at++) {
      byte[] bytes = plain.clone();
      bytes[at] = (byte) 0x80;
      try (SpooledMessage message =
          spooler(1 << 20, Long.MAX_VALUE)
              .spool(new ByteArrayInputStream(bytes), OutputStream.nullOutputStream())) {
        assertThat(message.eightBit()).as("0x80 at %d", at).isTrue();
      }
    }
  }

  @Test
  void aBodyInMemoryComesBackWholeAtEveryChunkBoundary() throws Exception {
    for (int size : new int[] {0, 1, 65_535, 65_536, 65_537, 3 * 65_536 + 7, 1 << 20}) {
      byte[] body = new byte[size];
      for (int i = 0; i < size; i++) {
        body[i] = (byte) ('a' + i % 26);
      }
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      raw.write(ascii("A: 1\r\n\r\n"));
      raw.write(body);
      try (SpooledMessage message =
          spooler(1 << 20, Long.MAX_VALUE)
              .spool(
                  new ByteArrayInputStream(raw.toByteArray()), OutputStream.nullOutputStream())) {
        assertThat(message.bodyFile()).as("size %d", size).isEmpty();
        assertThat(message.openBody().readAllBytes()).as("size %d", size).isEqualTo(body);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        message.writeTo(written);
        assertThat(written.toByteArray()).as("size %d", size).isEqualTo(raw.toByteArray());
      }
    }
  }

  @Test
  void messageWithoutEmptyLineIsAllHeader() throws Exception {
    try (SpooledMessage message =
        spooler(100, Long.MAX_VALUE)
            .spool(
                new ByteArrayInputStream(ascii("A: 1\r\nB: 2")), OutputStream.nullOutputStream())) {
      assertThat(new String(message.header(), StandardCharsets.ISO_8859_1))
          .isEqualTo("A: 1\r\nB: 2");
      assertThat(message.bodySize()).isZero();
    }
  }

  @Test
  void largeBodyGoesToAPrivateFileThatIsDeletedOnClose() throws Exception {
    String body = "x".repeat(5000) + "\r\n";
    SpooledMessage message =
        spooler(1000, Long.MAX_VALUE)
            .spool(
                new ByteArrayInputStream(ascii("A: 1\r\n\r\n" + body)),
                OutputStream.nullOutputStream());
    Path file = message.bodyFile().orElseThrow();
    assertThat(file.getParent()).isEqualTo(dir);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(bodyOf(message)).isEqualTo(body);
    message.close();
    assertThat(file).doesNotExist();
  }

  @Test
  void bodiesStayInMemoryWhileTheSharedBudgetHasRoomAndGiveItBackWhenClosed() throws Exception {
    MemoryBudget budget = new MemoryBudget(6000);
    Spooler spooler = new Spooler(dir, 10_000, budget, 1024, Long.MAX_VALUE, 0);
    byte[] message = ascii("A: 1\r\n\r\n" + "x".repeat(4000) + "\r\n");
    SpooledMessage first =
        spooler.spool(new ByteArrayInputStream(message), OutputStream.nullOutputStream());
    assertThat(first.bodyFile()).isEmpty();
    assertThat(budget.used()).as("header block and body").isEqualTo(8 + 4002);
    // 1,990 bytes left: the second header block fits, its body goes to a file and takes nothing
    SpooledMessage second =
        spooler.spool(new ByteArrayInputStream(message), OutputStream.nullOutputStream());
    assertThat(second.bodyFile()).isPresent();
    assertThat(budget.used()).isEqualTo(8 + 4002 + 8);
    assertThat(bodyOf(second)).isEqualTo(bodyOf(first));
    first.close();
    first.close(); // once only
    second.close();
    assertThat(budget.used()).isZero();
    try (SpooledMessage third =
        spooler.spool(new ByteArrayInputStream(message), OutputStream.nullOutputStream())) {
      assertThat(third.bodyFile()).isEmpty();
    }
    assertThat(budget.used()).isZero();
  }

  @Test
  void aHeaderBlockTheBudgetCannotHoldIsATemporaryRefusal() {
    MemoryBudget budget = new MemoryBudget(10);
    Spooler spooler = new Spooler(dir, 1 << 20, budget, 1 << 20, Long.MAX_VALUE, 0);
    byte[] message = ascii("Subject: longer than ten bytes\r\n\r\nbody\r\n");
    assertThatThrownBy(
            () -> spooler.spool(new ByteArrayInputStream(message), OutputStream.nullOutputStream()))
        .isInstanceOfSatisfying(
            SpoolException.class,
            e -> assertThat(e.reason()).isEqualTo(SpoolException.Reason.MEMORY_BUDGET_FULL));
    assertThat(budget.used()).isZero();
  }

  @Test
  void aRefusedMessageGivesItsMemoryBack() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    Spooler spooler = new Spooler(dir, 1 << 20, budget, 1024, 4096, 0);
    ByteArrayInputStream in = new ByteArrayInputStream(ascii("A: 1\r\n\r\n" + "y".repeat(10_000)));
    assertThatThrownBy(() -> spooler.spool(in, OutputStream.nullOutputStream()))
        .isInstanceOf(SpoolException.class);
    assertThat(budget.used()).isZero();
  }

  @Test
  void anOversizedMessageIsReadToTheEndThenRefusedAndNothingIsLeft() throws Exception {
    ByteArrayInputStream in = new ByteArrayInputStream(ascii("A: 1\r\n\r\n" + "y".repeat(10_000)));
    assertThatThrownBy(() -> spooler(100, 4096).spool(in, OutputStream.nullOutputStream()))
        .isInstanceOf(SpoolException.class)
        .extracting(e -> ((SpoolException) e).reason())
        .isEqualTo(SpoolException.Reason.MESSAGE_TOO_LARGE);
    assertThat(in.available()).isZero();
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void anOversizedHeaderIsRefused() {
    String header = "X: " + "h".repeat(2000) + "\r\n\r\nbody";
    assertThatThrownBy(
            () ->
                spooler(100, Long.MAX_VALUE)
                    .spool(
                        new ByteArrayInputStream(ascii(header)), OutputStream.nullOutputStream()))
        .isInstanceOf(SpoolException.class)
        .hasMessageContaining("header block");
  }

  @Test
  void staleSpoolFilesAreRemovedAndOthersLeftAlone() throws Exception {
    Process other = new ProcessBuilder("sleep", "30").start(); // another relay, still running
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    try {
      Path running = Files.writeString(dir.resolve("dkimrelay-" + other.pid() + "-1.spool"), "a");
      Path dead = Files.writeString(dir.resolve("dkimrelay-" + gone.pid() + "-2.spool"), "b");
      Path old = Files.writeString(dir.resolve("dkimrelay-123.spool"), "old"); // unnamed owner
      Files.writeString(dir.resolve("keep.txt"), "mine");
      assertThat(spooler(10, 10).removeStaleFiles()).isEqualTo(2);
      assertThat(running).exists();
      assertThat(dead).doesNotExist();
      assertThat(old).doesNotExist();
      assertThat(dir.resolve("keep.txt")).exists();
    } finally {
      other.destroy();
    }
  }

  @Test
  void aSpoolFileThatCannotBeWrittenIsReportedAfterTheWholeMessageWasRead() throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("occupied"), "a file, not a directory");
    Spooler spooler =
        new Spooler(notADirectory, 16, new MemoryBudget(Long.MAX_VALUE), 1024, Long.MAX_VALUE, 0);
    ByteArrayInputStream in = new ByteArrayInputStream(ascii("A: 1\r\n\r\n" + "x".repeat(100)));
    assertThatThrownBy(() -> spooler.spool(in, OutputStream.nullOutputStream()))
        .isInstanceOf(SpoolException.class)
        .hasMessageStartingWith("cannot write the spool file in " + notADirectory)
        .extracting(e -> ((SpoolException) e).reason())
        .isEqualTo(SpoolException.Reason.NO_SPOOL_SPACE);
    assertThat(in.available()).isZero(); // read to the end: the SMTP session stays in step
  }

  @Test
  void linesOverTheLimitAreSpooledBrokenHeaderAndBodyAndShortOnesUntouched() throws Exception {
    String longLine = ".x" + "y".repeat(1200);
    byte[] raw = ascii("Subject: " + "s".repeat(1200) + "\r\n\r\nshort\r\n" + longLine + "\r\n");
    ByteArrayOutputStream tap = new ByteArrayOutputStream();
    Spooler breaking = new Spooler(dir, 1 << 20, new MemoryBudget(1 << 20), 4096, 1 << 20, 998);
    try (SpooledMessage message = breaking.spool(new ByteArrayInputStream(raw), tap)) {
      String expectedBody = Corpus.brokenAsPostfixSends("short\r\n" + longLine + "\r\n", 998);
      assertThat(bodyOf(message)).isEqualTo(expectedBody).contains("\r\n y");
      assertThat(tap.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expectedBody);
      assertThat(new String(message.header(), StandardCharsets.ISO_8859_1))
          .as("a long header line is broken as a fold")
          .isEqualTo(Corpus.brokenAsPostfixSends("Subject: " + "s".repeat(1200) + "\r\n\r\n", 998));
    }
  }
}
