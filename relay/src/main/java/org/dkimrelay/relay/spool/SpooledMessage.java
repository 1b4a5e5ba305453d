package org.dkimrelay.relay.spool;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One received message with CRLF line endings: the header block in memory (fields and the blank
 * line that ends them, if there was one), the body in memory or in a private temp file. Closing
 * deletes the file or gives the memory back to the spooler's budget. Not thread-safe.
 */
public final class SpooledMessage implements Closeable {
  private final byte[] header;
  private final ChunkedBytes bodyInMemory;
  private final Path bodyFile;
  private final long bodySize;
  private final boolean eightBit;
  private Runnable release; // gives the body's memory back to the spooler's budget, once

  SpooledMessage(
      byte[] header,
      ChunkedBytes bodyInMemory,
      Path bodyFile,
      long bodySize,
      boolean eightBit,
      Runnable release) {
    this.header = header;
    this.bodyInMemory = bodyInMemory;
    this.bodyFile = bodyFile;
    this.bodySize = bodySize;
    this.eightBit = eightBit;
    this.release = release;
  }

  /** True when any byte, header or body, is over 127: the message needs 8BITMIME upstream. */
  public boolean eightBit() {
    return eightBit;
  }

  /** The header block exactly as it will be sent: fields, then the empty line if present. */
  public byte[] header() {
    return header.clone();
  }

  public long bodySize() {
    return bodySize;
  }

  /** Total size in bytes, header and body, as it will be sent (before dot-stuffing). */
  public long size() {
    return header.length + bodySize;
  }

  /** The spool file, if the body was large enough to leave memory. */
  public Optional<Path> bodyFile() {
    return Optional.ofNullable(bodyFile);
  }

  public InputStream openBody() throws IOException {
    return bodyFile != null ? Files.newInputStream(bodyFile) : bodyInMemory.inputStream();
  }

  /** Writes the message as it will be delivered: the header block, then the body. */
  public void writeTo(OutputStream out) throws IOException {
    out.write(header);
    if (bodyFile == null) {
      bodyInMemory.writeTo(out); // straight from its chunks, no copy
      return;
    }
    try (InputStream body = openBody()) {
      body.transferTo(out);
    }
  }

  @Override
  public void close() throws IOException {
    if (release != null) {
      release.run();
      release = null;
    }
    if (bodyFile != null) {
      Files.deleteIfExists(bodyFile);
    }
  }
}
