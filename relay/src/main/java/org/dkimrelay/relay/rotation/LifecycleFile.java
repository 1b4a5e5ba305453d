package org.dkimrelay.relay.rotation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.dkimrelay.keys.KeyAlgorithm;

/**
 * {@code <keys>/<domain>/lifecycle.toml}: one table per selector with its state and timestamps,
 * written by {@code rotate}, {@code keys retire|revoke} and the relay, readable by people. A key
 * file without an entry is active ({@link #stateOf}). Changes are made under a lock and written
 * whole to a temporary file that then replaces the old one, so the relay and a command run at the
 * same moment never lose each other's change.
 */
public final class LifecycleFile {
  public static final String NAME = "lifecycle.toml";
  private static final String HEADER =
      "# Key lifecycle for this domain, kept by dkimrelay (rotate, keys retire|revoke, the relay).\n"
          + "# standby -> active -> retiring -> revoked -> removed; see 'dkimrelay keys list'.\n\n";
  private static final ObjectMapper TOML =
      TomlMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .defaultPropertyInclusion(
              JsonInclude.Value.construct(
                  JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
          .build();
  private static final TypeReference<TreeMap<String, KeyLifecycle>> ENTRIES =
      new TypeReference<>() {};

  private LifecycleFile() {}

  /** The domain directories under {@code keysRoot} that have a lifecycle file. */
  public static List<Path> domainsUnder(Path keysRoot) {
    try (Stream<Path> children = Files.list(keysRoot)) {
      return children.filter(child -> Files.exists(child.resolve(NAME))).sorted().toList();
    } catch (IOException e) {
      return List.of(); // no keys directory yet
    }
  }

  /**
   * The state of the key under {@code selector}. The one rule for keys rotation has not seen: a key
   * file without a lifecycle entry is active (it signed before rotation knew it, or came from
   * {@code keygen} or {@code keys import}).
   */
  public static KeyState stateOf(Map<String, KeyLifecycle> entries, String selector) {
    KeyLifecycle entry = entries.get(selector);
    return entry == null ? KeyState.ACTIVE : entry.state();
  }

  /** The entry of the key under {@code selector}; by the same rule, active since {@code since}. */
  public static KeyLifecycle entryOf(
      Map<String, KeyLifecycle> entries, String selector, KeyAlgorithm algorithm, Instant since) {
    KeyLifecycle entry = entries.get(selector);
    return entry != null ? entry : KeyLifecycle.active(algorithm, since);
  }

  /** The entries by selector; empty when the domain has no lifecycle file. */
  public static Map<String, KeyLifecycle> read(Path domainDirectory) {
    Path file = domainDirectory.resolve(NAME);
    if (!Files.exists(file)) {
      return new TreeMap<>();
    }
    try {
      TreeMap<String, KeyLifecycle> entries =
          TOML.readValue(Files.readString(file, StandardCharsets.UTF_8), ENTRIES);
      return entries != null ? entries : new TreeMap<>();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          file + ": not a lifecycle file dkimrelay can read: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Applies {@code change} to the entries under the domain's lock and writes the result. */
  public static Map<String, KeyLifecycle> update(
      Path domainDirectory, UnaryOperator<Map<String, KeyLifecycle>> change) {
    return update(domainDirectory, change, () -> {});
  }

  /**
   * The same, then runs {@code afterWrite} still under the lock; if it fails, the file is put back.
   * New key files are written there: a key file without its lifecycle entry counts as active, so
   * the entry must exist before the file does, for every reader, locked or not.
   */
  public static Map<String, KeyLifecycle> update(
      Path domainDirectory, UnaryOperator<Map<String, KeyLifecycle>> change, Runnable afterWrite) {
    Path lock = domainDirectory.resolve(".lifecycle.lock");
    try (FileChannel channel =
        FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      channel.lock(); // released when the channel closes; other processes wait (fcntl)
      Map<String, KeyLifecycle> before = read(domainDirectory);
      Map<String, KeyLifecycle> after = new TreeMap<>(change.apply(new TreeMap<>(before)));
      if (!after.equals(before)) {
        write(domainDirectory, after);
      }
      try {
        afterWrite.run();
      } catch (RuntimeException e) {
        write(domainDirectory, before);
        throw e;
      }
      return after;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(Path domainDirectory, Map<String, KeyLifecycle> entries)
      throws IOException {
    Path file = domainDirectory.resolve(NAME);
    Path temporary = domainDirectory.resolve(NAME + ".new");
    Files.writeString(temporary, HEADER + TOML.writeValueAsString(entries), StandardCharsets.UTF_8);
    try {
      Files.move(
          temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
