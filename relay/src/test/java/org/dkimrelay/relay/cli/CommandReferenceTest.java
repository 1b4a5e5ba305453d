package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dkimrelay.relay.testing.ExternalTool;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * The command reference is written from the commands themselves, so it cannot drift: picocli writes
 * each command's man page in AsciiDoc (docs/reference/*.adoc: dkimrelay(8) and one per command),
 * Asciidoctor renders them as roff (docs/man/*.8, what {@code man} reads and scripts/install
 * installs). This test fails when a checked-in page differs from what the code says, and {@code
 * -Ddkimrelay.write-reference=true} writes both again.
 */
class CommandReferenceTest {
  private static final Path REFERENCE = Path.of("..", "docs", "reference");
  private static final Path MAN = Path.of("..", "docs", "man");

  /** An administrator's command: section 8, as for opendkim(8) and postfix(1)'s daemons. */
  private static final String SECTION = "8";

  /** Every page, by file name: the command and each subcommand, nested ones too. */
  private static List<Page> pages() {
    CommandLine root = Main.commandLine(CliContext.system());
    List<Page> pages = new ArrayList<>();
    collect(root.getCommandSpec(), pages);
    return pages;
  }

  /** One command's page: its name (dkimrelay-keys-list) and its AsciiDoc text. */
  private record Page(String name, String text) {
    String file() {
      return name + ".adoc";
    }

    String manFile() {
      return name + "." + SECTION;
    }
  }

  /**
   * The page as roff, rendered by Asciidoctor (the Debian package scripts/test installs); without a
   * date, so that the same code gives the same page.
   */
  private static String roff(Page page) {
    ExternalTool.Result rendered =
        ExternalTool.run(
            page.text().getBytes(StandardCharsets.UTF_8),
            List.of(
                "asciidoctor",
                "-b",
                "manpage",
                "-a",
                "reproducible",
                "-a",
                "docdate!",
                "-o",
                "-",
                "-"));
    assertThat(rendered.exit())
        .as("asciidoctor (apt-get install asciidoctor; scripts/test does) failed: %s", rendered)
        .isZero();
    assertThat(rendered.stderr()).as("asciidoctor's warnings on %s", page.file()).isEmpty();
    return rendered.out();
  }

  private static void collect(CommandSpec spec, List<Page> pages) {
    if (spec.name().equals("help")) {
      return; // picocli's own
    }
    StringWriter text = new StringWriter();
    try (PrintWriter out = new PrintWriter(text)) {
      ManPageGenerator.writeSingleManPage(out, spec);
    }
    String page =
        text.toString()
            .replace(
                "= " + spec.qualifiedName("-") + "(1)",
                "= " + spec.qualifiedName("-") + "(" + SECTION + ")")
            .replace(":manmanual: Dkimrelay Manual", ":manmanual: dkimrelay Manual");
    pages.add(new Page(spec.qualifiedName("-"), page));
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
      Files.createDirectories(MAN);
      try (Stream<Path> old = Files.list(MAN)) {
        for (Path file : old.toList()) {
          Files.delete(file);
        }
      }
      for (Page page : pages) {
        Files.writeString(REFERENCE.resolve(page.file()), page.text());
        Files.writeString(MAN.resolve(page.manFile()), roff(page));
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
      assertThat(MAN.resolve(page.manFile())).exists();
      assertThat(Files.readString(MAN.resolve(page.manFile())))
          .as("docs/man/%s, rendered from the code's page", page.manFile())
          .isEqualTo(roff(page));
    }
    try (Stream<Path> checkedIn = Files.list(REFERENCE)) {
      assertThat(checkedIn.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".adoc")))
          .as("no page of a command that no longer exists")
          .containsExactlyInAnyOrderElementsOf(pages.stream().map(Page::file).toList());
    }
    try (Stream<Path> checkedIn = Files.list(MAN)) {
      assertThat(checkedIn.map(f -> f.getFileName().toString()))
          .as("no man page of a command that no longer exists")
          .containsExactlyInAnyOrderElementsOf(pages.stream().map(Page::manFile).toList());
    }
  }
}
