package org.dkimrelay.relay.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether the configuration file or the keys directory changed since the last look: every file's
 * path, size, modification time, owner and mode. For a process that gets no SIGHUP (an OpenSMTPD
 * filter), this is how an edited configuration, a new key or a {@code rotate} reaches it.
 */
final class FileWatch {
  // The keys directory holds DOMAIN/SELECTOR.private and DOMAIN/lifecycle.toml: two levels.
  private static final int KEYS_DEPTH = 2;

  private final Optional<Path> configFile;
  private final Path keys;
  private List<String> last;

  FileWatch(Optional<Path> configFile, Path keys) {
    this.configFile = configFile;
    this.keys = keys;
    this.last = snapshot();
  }

  /** True once for each change seen (a change made while reading shows at the next look). */
  boolean changed() {
    List<String> now = snapshot();
    if (now.equals(last)) {
      return false;
    }
    last = now;
    return true;
  }

  private List<String> snapshot() {
    List<String> files = new ArrayList<>();
    configFile.ifPresent(file -> files.add(describe(file)));
    if (Files.isDirectory(keys)) {
      try (Stream<Path> walk = Files.walk(keys, KEYS_DEPTH)) {
        walk.sorted().map(FileWatch::describe).forEach(files::add);
      } catch (IOException | UncheckedIOException e) {
        files.add(keys + " unreadable: " + e.getMessage()); // the reload says what is wrong
      }
    }
    return files;
  }

  private static String describe(Path file) {
    try {
      // owner and mode too: a reload that failed on a permission succeeds once it is fixed
      PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class);
      return String.join(
          " ",
          file.toString(),
          Long.toString(attributes.size()),
          Long.toString(attributes.lastModifiedTime().toMillis()),
          attributes.owner().getName(),
          PosixFilePermissions.toString(attributes.permissions()));
    } catch (IOException | UnsupportedOperationException e) {
      return file + " " + e.getClass().getSimpleName(); // absent or unreadable: also a state
    }
  }
}
