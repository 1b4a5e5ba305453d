package org.dkimrelay.relay.spool;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Bytes of one message kept in memory up to a threshold while the budget shared by all messages has
 * room, and in a private (0600) temp file beyond that: the proxy's bodies and the OpenSMTPD
 * filter's held lines. Closing gives the memory back and deletes the file. Not thread-safe.
 */
public final class SpoolStore implements Closeable {
  private static final int FILE_BUFFER = 64 * 1024;

  private final Path directory;
  private final String filePrefix;
  private final int memoryThreshold;
  private final MemoryBudget budget;
  private ChunkedBytes memory = new ChunkedBytes(); // its size is what it took of the budget
  private Path file;
  private OutputStream fileStream;
  private long size;

  SpoolStore(Path directory, String filePrefix, int memoryThreshold, MemoryBudget budget) {
    this.directory = directory;
    this.filePrefix = filePrefix;
    this.memoryThreshold = memoryThreshold;
    this.budget = budget;
  }

  /** Appends; the first append that does not fit in memory moves everything to a file. */
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (fileStream == null && !keepsInMemory(length)) {
      spillToFile();
    }
    if (fileStream != null) {
      fileStream.write(bytes, offset, length);
    } else {
      memory.append(bytes, offset, length);
    }
    size += length;
  }

  public long size() {
    return size;
  }

  /** Ends writing: the last buffered bytes reach the file now. */
  public void finish() throws IOException {
    if (fileStream != null) {
      fileStream.close();
    }
  }

  /** The bytes written, from the start (after {@link #finish}). */
  public InputStream open() throws IOException {
    return file != null ? Files.newInputStream(file) : memory.inputStream();
  }

  /** Writes the bytes kept to {@code out} (after {@link #finish}). */
  public void writeTo(OutputStream out) throws IOException {
    if (file == null) {
      memory.writeTo(out); // straight from its chunks, no copy
      return;
    }
    try (InputStream in = open()) {
      in.transferTo(out);
    }
  }

  /** The file, once the bytes left memory. */
  Path file() {
    return file;
  }

  private boolean keepsInMemory(int length) {
    return memory.size() + length <= memoryThreshold && budget.take(length);
  }

  private void spillToFile() throws IOException {
    Files.createDirectories(directory);
    file =
        Files.createTempFile(
            directory,
            filePrefix,
            Spooler.FILE_SUFFIX,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    fileStream = new BufferedOutputStream(Files.newOutputStream(file), FILE_BUFFER);
    memory.writeTo(fileStream);
    budget.giveBack(memory.size());
    memory = new ChunkedBytes();
  }

  /** Gives the memory back and deletes the file; safe to call more than once. */
  @Override
  public void close() throws IOException {
    budget.giveBack(memory.size());
    memory = new ChunkedBytes();
    OutputStream stream = fileStream;
    Path spooled = file;
    fileStream = null;
    file = null;
    try {
      if (stream != null) {
        stream.close(); // may fail flushing to a full disk; the file goes all the same
      }
    } finally {
      if (spooled != null) {
        Files.deleteIfExists(spooled);
      }
    }
  }
}
