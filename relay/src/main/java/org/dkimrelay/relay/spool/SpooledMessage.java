package org.dkimrelay.relay.spool;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One received message with CRLF line endings: the header block in memory (fields and the blank
 * line that ends them, if there was one), the body in memory or in a private temp file. Closing
 * deletes the file or gives the memory back to the spooler's budget. Not thread-safe.
 */
public final class SpooledMessage implements Closeable {
  private final HeaderBuffer header; // kept under the memory budget until the message is closed
  private final SpoolStore body;
  private final boolean eightBit;

  SpooledMessage(HeaderBuffer header, SpoolStore body, boolean eightBit) {
    this.header = header;
    this.body = body;
    this.eightBit = eightBit;
  }

  /** True when any byte, header or body, is over 127: the message needs 8BITMIME upstream. */
  public boolean eightBit() {
    return eightBit;
  }

  /** The header block exactly as it will be sent: fields, then the empty line if present. */
  public byte[] header() {
    return header.toByteArray();
  }

  public long bodySize() {
    return body.size();
  }

  /** Total size in bytes, header and body, as it will be sent (before dot-stuffing). */
  public long size() {
    return header.size() + body.size();
  }

  /** The spool file, if the body was large enough to leave memory. */
  public Optional<Path> bodyFile() {
    return Optional.ofNullable(body.file());
  }

  public InputStream openBody() throws IOException {
    return body.open();
  }

  /** Writes the message as it will be delivered: the header block, then the body. */
  public void writeTo(OutputStream out) throws IOException {
    header.writeTo(out);
    body.writeTo(out);
  }

  @Override
  public void close() throws IOException {
    header.close();
    body.close();
  }
}
