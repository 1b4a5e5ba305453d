package org.dkimrelay.keys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The keys directory: {@code <root>/<domain>/<selector>.key} (PKCS#8 PEM, mode 0600, directory
 * 0700) beside {@code <selector>.txt} (the TXT record in zone-file form). The directory is also the
 * signing table: every key in it signs mail from its domain.
 */
public final class KeyDirectory {
  private static final String KEY_SUFFIX = ".key";
  private static final String RECORD_SUFFIX = ".txt";
  private static final Set<PosixFilePermission> PRIVATE_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> GROUP_OR_OTHER =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private final Path root;

  public KeyDirectory(Path root) {
    this.root = root;
  }

  /** One key file found in the directory. */
  public record Entry(SigningDomain domain, Selector selector, Path keyFile) {}

  public Path root() {
    return root;
  }

  public Path keyFile(SigningDomain domain, Selector selector) {
    return root.resolve(domain.name()).resolve(selector.value() + KEY_SUFFIX);
  }

  public Path recordFile(SigningDomain domain, Selector selector) {
    return root.resolve(domain.name()).resolve(selector.value() + RECORD_SUFFIX);
  }

  public boolean contains(SigningDomain domain, Selector selector) {
    return Files.exists(keyFile(domain, selector));
  }

  /** Fails, saying what to do, when the selector already has a key: keys are never overwritten. */
  public void requireAbsent(SigningDomain domain, Selector selector) {
    if (contains(domain, selector)) {
      throw selectorExists(domain, selector);
    }
  }

  /**
   * Writes a new key and its record. An existing selector is never overwritten: the key file is
   * created with O_EXCL and mode 0600 before any key byte is written.
   *
   * @return the private key file
   */
  public Path store(DkimKey key, TxtRecord record) {
    Path keyFile = keyFile(key.domain(), key.selector());
    try {
      createPrivateDirectory(root);
      createPrivateDirectory(keyFile.getParent());
      try {
        Files.createFile(keyFile, permissions(PRIVATE_FILE));
      } catch (FileAlreadyExistsException e) {
        throw selectorExists(key.domain(), key.selector());
      }
      try {
        Files.writeString(keyFile, PemKeys.toPkcs8Pem(key.privateKey()), StandardCharsets.US_ASCII);
      } catch (IOException e) {
        Files.deleteIfExists(keyFile);
        throw e;
      }
      Files.writeString(
          recordFile(key.domain(), key.selector()),
          record.zoneLine() + "\n",
          StandardCharsets.UTF_8);
      return keyFile;
    } catch (IOException e) {
      throw new KeyToolException("cannot write " + keyFile + ": " + describe(e), e);
    }
  }

  /**
   * Every key file under the root, by domain then selector; names that are not valid are skipped.
   */
  public List<Entry> list() {
    List<Entry> entries = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return entries;
    }
    try (DirectoryStream<Path> domains = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path domainDir : domains) {
        Optional<SigningDomain> domain = parseOrEmpty(domainDir.getFileName().toString());
        if (domain.isPresent()) {
          addKeys(domain.get(), domainDir, entries);
        }
      }
    } catch (IOException e) {
      throw new KeyToolException("cannot read the keys directory " + root + ": " + describe(e), e);
    }
    entries.sort(
        Comparator.comparing((Entry entry) -> entry.domain().name())
            .thenComparing(entry -> entry.selector().value()));
    return entries;
  }

  /**
   * Loads one key, refusing a file that group or others may read, or that belongs to someone other
   * than the user running dkimrelay (or root).
   */
  public DkimKey load(SigningDomain domain, Selector selector) {
    Path keyFile = keyFile(domain, selector);
    if (!Files.exists(keyFile)) {
      throw new KeyToolException(
          "no key '" + selector + "' for " + domain + " in " + root + " (see 'keys list')");
    }
    String user = System.getProperty("user.name");
    unsafeDirectories(keyFile, user)
        .or(() -> unsafePermissions(keyFile))
        .or(() -> unsafeOwner(keyFile, user))
        .ifPresent(
            problem -> {
              throw new KeyToolException(problem);
            });
    try {
      return PemKeys.read(Files.readString(keyFile, StandardCharsets.US_ASCII), null)
          .as(domain, selector);
    } catch (IOException e) {
      throw new KeyToolException("cannot read " + keyFile + ": " + describe(e), e);
    } catch (KeyToolException e) {
      throw new KeyToolException(keyFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Says what is wrong when a private key file is open to group or others, with the command that
   * fixes it; empty when the file is private (or the file system has no POSIX modes).
   */
  public static Optional<String> unsafePermissions(Path keyFile) {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(keyFile);
      if (mode.stream().noneMatch(GROUP_OR_OTHER::contains)) {
        return Optional.empty();
      }
      return Optional.of(
          "private key "
              + keyFile
              + " is accessible by group or others (mode "
              + PosixFilePermissions.toString(mode)
              + "): run chmod 600 "
              + keyFile);
    } catch (UnsupportedOperationException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Says what is wrong when someone other than {@code runningUser} (or root) could replace the key
   * file: the keys directory, the domain directory, and for a symbolic link the directory of its
   * target (the file itself is judged by its target) must be neither writable by group or others
   * nor owned by another user, as OpenDKIM's RequireSafeKeys asks.
   */
  Optional<String> unsafeDirectories(Path keyFile, String runningUser) {
    List<Path> directories = new ArrayList<>(List.of(root, keyFile.getParent()));
    try {
      if (Files.isSymbolicLink(keyFile)) {
        directories.add(keyFile.toRealPath().getParent());
      }
    } catch (IOException e) {
      return Optional.of("cannot follow " + keyFile + ": " + describe(e));
    }
    for (Path directory : directories) {
      Optional<String> problem = unsafeDirectory(directory, runningUser);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  private Optional<String> unsafeDirectory(Path directory, String runningUser) {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(directory);
      if (mode.contains(PosixFilePermission.GROUP_WRITE)
          || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
        return Optional.of(
            "directory "
                + directory
                + " is writable by group or others (mode "
                + PosixFilePermissions.toString(mode)
                + "), who could replace a key: run chmod go-w "
                + directory);
      }
      String owner = Files.getOwner(directory).getName();
      if (!owner.equals(runningUser) && !owner.equals("root")) {
        return Optional.of(
            "directory "
                + directory
                + " belongs to "
                + owner
                + ", not to "
                + runningUser
                + " who runs dkimrelay, and its owner could replace a key: run chown "
                + runningUser
                + " "
                + directory);
      }
      return Optional.empty();
    } catch (UnsupportedOperationException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("cannot check " + directory + ": " + describe(e));
    }
  }

  /** When a key file was last written (its age for listings and metrics); empty if unreadable. */
  public static Optional<Instant> written(Path keyFile) {
    try {
      return Optional.of(Files.getLastModifiedTime(keyFile).toInstant());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Says what is wrong when a private key file belongs to neither {@code runningUser} nor root: its
   * owner could replace the key we sign with (OpenDKIM refuses such files too).
   */
  public static Optional<String> unsafeOwner(Path keyFile, String runningUser) {
    try {
      String owner = Files.getOwner(keyFile).getName();
      if (owner.equals(runningUser) || owner.equals("root")) {
        return Optional.empty();
      }
      return Optional.of(
          "private key "
              + keyFile
              + " belongs to "
              + owner
              + ", not to "
              + runningUser
              + " who runs dkimrelay: run chown "
              + runningUser
              + " "
              + keyFile);
    } catch (UnsupportedOperationException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void addKeys(SigningDomain domain, Path domainDir, List<Entry> entries)
      throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(domainDir, "*" + KEY_SUFFIX)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        String selector = name.substring(0, name.length() - KEY_SUFFIX.length());
        try {
          entries.add(new Entry(domain, new Selector(selector), file));
        } catch (KeyToolException e) {
          // not a selector we could have written: someone else's file, leave it alone
        }
      }
    }
  }

  private KeyToolException selectorExists(SigningDomain domain, Selector selector) {
    return new KeyToolException(
        "selector '"
            + selector
            + "' already exists for "
            + domain
            + " ("
            + keyFile(domain, selector)
            + "): choose another --selector");
  }

  private static Optional<SigningDomain> parseOrEmpty(String name) {
    try {
      return Optional.of(new SigningDomain(name));
    } catch (KeyToolException e) {
      return Optional.empty();
    }
  }

  private static void createPrivateDirectory(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      Files.createDirectories(directory, permissions(PRIVATE_DIRECTORY));
    }
  }

  private static FileAttribute<?>[] permissions(Set<PosixFilePermission> mode) {
    return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)};
  }

  private String describe(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      String user = System.getProperty("user.name");
      return "permission denied for the user "
          + user
          + ", who runs dkimrelay: run chown -R "
          + user
          + " "
          + root;
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
