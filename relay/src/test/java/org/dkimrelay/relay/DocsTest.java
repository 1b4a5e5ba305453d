package org.dkimrelay.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README and docs/ hold together: every link to a file of the repository names one that exists,
 * every {@code #anchor} a heading that exists (as GitHub makes anchors of headings), and the README
 * stays a first hour's read.
 */
class DocsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");

  private static List<Path> documents() throws IOException {
    List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(path -> path.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    return documents;
  }

  /** GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens. */
  private static Set<String> anchors(Path document) throws IOException {
    Set<String> anchors = new HashSet<>();
    Matcher heading = HEADING.matcher(Files.readString(document));
    while (heading.find()) {
      anchors.add(
          heading
              .group(1)
              .strip()
              .toLowerCase(Locale.ROOT)
              .replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
              .replace(' ', '-'));
    }
    return anchors;
  }

  @Test
  void everyLinkInTheDocsLeadsSomewhere() throws IOException {
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path document : documents()) {
      Matcher link = LINK.matcher(Files.readString(document));
      while (link.find()) {
        String target = link.group(1);
        if (target.matches("[a-z]+:.*")) {
          continue; // https:, mailto:, file:
        }
        checked++;
        int hash = target.indexOf('#');
        Path file =
            hash == 0
                ? document
                : document
                    .resolveSibling(hash < 0 ? target : target.substring(0, hash))
                    .normalize();
        if (!Files.exists(file)) {
          broken.add(ROOT.relativize(document) + ": " + target + " (no such file)");
        } else if (hash >= 0 && !anchors(file).contains(target.substring(hash + 1))) {
          broken.add(ROOT.relativize(document) + ": " + target + " (no such heading)");
        }
      }
    }
    assertThat(checked).as("links checked").isGreaterThan(20);
    assertThat(broken).isEmpty();
  }

  @Test
  void theReadmeIsAFirstHoursRead() throws IOException {
    assertThat(Files.size(ROOT.resolve("README.md"))).isLessThan(15 * 1024);
  }
}
