package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * The command reference (docs/reference/*.adoc, man pages in AsciiDoc: dkimrelay(8) and one per
 * command) is written from the commands themselves, so it cannot drift: this test fails when a
 * checked-in page differs from what the code says, and {@code -Ddkimrelay.write-reference=true}
 * writes them again.
 */
class CommandReferenceTest {
  private static final Path REFERENCE = Path.of("..", "docs", "reference");

  /** Every page, by file name: the command and each subcommand, nested ones too. */
  private static List<Page> pages() {
    CommandLine root = Main.commandLine(CliContext.system());
    List<Page> pages = new ArrayList<>();
    collect(root.getCommandSpec(), pages);
    return pages;
  }

  private record Page(String file, String text) {}

  private static void collect(CommandSpec spec, List<Page> pages) {
    if (spec.name().equals("help")) {
      return; // picocli's own
    }
    StringWriter text = new StringWriter();
    try (PrintWriter out = new PrintWriter(text)) {
      ManPageGenerator.writeSingleManPage(out, spec);
    }
    pages.add(new Page(spec.qualifiedName("-") + ".adoc", text.toString()));
    spec.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), pages));
  }

  @Test
  void theCheckedInReferenceIsWhatTheCommandsSay() throws IOException {
    List<Page> pages = pages();
    if (Boolean.getBoolean("dkimrelay.write-reference")) {
      Files.createDirectories(REFERENCE);
      try (Stream<Path> old = Files.list(REFERENCE)) {
        for (Path file : old.filter(f -> f.toString().endsWith(".adoc")).toList()) {
          Files.delete(file);
        }
      }
      for (Page page : pages) {
        Files.writeString(REFERENCE.resolve(page.file()), page.text());
      }
    }
    assertThat(pages).extracting(Page::file).contains("dkimrelay.adoc", "dkimrelay-run.adoc");
    for (Page page : pages) {
      Path file = REFERENCE.resolve(page.file());
      assertThat(file)
          .as(
              "docs/reference/%s is written from the code: run mvn -pl relay test"
                  + " -Dtest=CommandReferenceTest -Ddkimrelay.write-reference=true",
              page.file())
          .exists();
      assertThat(Files.readString(file)).as(page.file()).isEqualTo(page.text());
    }
    try (Stream<Path> checkedIn = Files.list(REFERENCE)) {
      assertThat(checkedIn.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".adoc")))
          .as("no page of a command that no longer exists")
          .containsExactlyInAnyOrderElementsOf(pages.stream().map(Page::file).toList());
    }
  }
}
