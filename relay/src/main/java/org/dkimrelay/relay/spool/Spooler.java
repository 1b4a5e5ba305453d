package org.dkimrelay.relay.spool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Receives a message once: normalises line endings, keeps the header block in memory, and stores
 * the body in memory up to a threshold per message, while the budget shared by all messages has
 * room, and otherwise in a private (0600) temp file, so a large message never sits whole on the
 * heap. The body is also copied to a tap as it passes (the body hasher), so the message is read
 * only once.
 */
public final class Spooler {
  static final String FILE_PREFIX = "dkimrelay-";
  // Each file names the process that writes it (dkimrelay-PID-RANDOM.spool): several relays on
  // one machine share the directory, and one starting must not delete another's message.
  private static final String OWN_PREFIX = FILE_PREFIX + ProcessHandle.current().pid() + "-";
  static final String FILE_SUFFIX = ".spool";
  private static final int CHUNK = 64 * 1024;

  private final Path directory;
  private final int memoryThreshold;
  private final MemoryBudget memory;
  private final int maxHeaderBytes;
  private final long maxMessageBytes;
  private final int lineLengthLimit;

  /**
   * {@code memoryThreshold}: the largest body kept in memory; {@code memory}: what all messages in
   * memory at once may take; {@code lineLengthLimit}: body lines longer than this are broken as
   * they are spooled, as the next MTA would break them (0: none is).
   */
  public Spooler(
      Path directory,
      int memoryThreshold,
      MemoryBudget memory,
      int maxHeaderBytes,
      long maxMessageBytes,
      int lineLengthLimit) {
    this.directory = directory;
    this.memoryThreshold = memoryThreshold;
    this.memory = memory;
    this.maxHeaderBytes = maxHeaderBytes;
    this.maxMessageBytes = maxMessageBytes;
    this.lineLengthLimit = lineLengthLimit;
  }

  /**
   * Reads {@code raw} to its end. A message over a limit is still read to the end (so an SMTP
   * session stays in step) and then refused with a {@link SpoolException}; nothing of it is kept.
   */
  public SpooledMessage spool(InputStream raw, OutputStream bodyTap)
      throws IOException, SpoolException {
    Splitter splitter = new Splitter(bodyTap);
    CrlfNormalizer normalizer = new CrlfNormalizer(splitter);
    byte[] buffer = new byte[CHUNK];
    try {
      for (int read = raw.read(buffer); read >= 0; read = raw.read(buffer)) {
        normalizer.write(buffer, 0, read);
      }
      normalizer.finish();
      splitter.finishBody();
      splitter.checkLimits();
      return splitter.toMessage(normalizer.eightBit());
    } catch (IOException | SpoolException | RuntimeException e) {
      splitter.discard();
      throw e;
    }
  }

  /**
   * Deletes spool files left by a process that died (killed mid-message); call once at start-up.
   * Files of a running process, another relay's, are left alone.
   */
  public int removeStaleFiles() throws IOException {
    int removed = 0;
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    try (DirectoryStream<Path> spooled =
        Files.newDirectoryStream(directory, FILE_PREFIX + "*" + FILE_SUFFIX)) {
      for (Path file : spooled) {
        if (ownerAlive(file.getFileName().toString())) {
          continue;
        }
        Files.deleteIfExists(file);
        removed++;
      }
    }
    return removed;
  }

  private static boolean ownerAlive(String name) {
    String[] parts = name.substring(FILE_PREFIX.length()).split("-", 2);
    if (parts.length < 2 || !parts[0].matches("\\d{1,18}")) {
      return false; // not named by a process (an older dkimrelay's file): stale
    }
    long pid = Long.parseLong(parts[0]);
    return pid != ProcessHandle.current().pid()
        && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /**
   * A store for bytes of one message other than a proxy body (the OpenSMTPD filter's held lines):
   * memory under the same budget, this spooler's private files beyond it.
   */
  public SpoolStore newStore() {
    return new SpoolStore(directory, OWN_PREFIX, memoryThreshold, memory);
  }

  /** A header block buffer under the same budget and header limit. */
  public HeaderBuffer newHeaderBuffer() {
    return new HeaderBuffer(memory, maxHeaderBytes);
  }

  /**
   * Splits normalised bytes at the first empty line into header block and body storage; the body
   * passes the long-line folder on its way to the tap and the store, so what is hashed is what is
   * sent.
   */
  private final class Splitter extends OutputStream {
    private final OutputStream bodyTap;
    private final HeaderBuffer header = newHeaderBuffer();
    private final SpoolStore body = newStore();
    private final LongLineFolder bodyOut = new LongLineFolder(new BodySink(), lineLengthLimit);
    private final LongLineFolder headerOut = new LongLineFolder(new HeaderSink(), lineLengthLimit);
    private boolean inBody;
    private long total;
    private boolean dropped; // over the size limit, or the store failed: counting, keeping nothing
    private String storageFailure; // the spool file could not be written (disk full, quota)

    private int lastFour; // the last four header bytes, to spot CRLF CRLF

    Splitter(OutputStream bodyTap) {
      this.bodyTap = bodyTap;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      total += length;
      if (total > maxMessageBytes || storageFailure != null) {
        discard(); // keep counting, keep nothing
        return;
      }
      int end = offset + length;
      int i = inBody ? offset : headerPart(bytes, offset, end);
      if (i < end) {
        bodyOut.write(bytes, i, end - i);
      }
    }

    void finishBody() throws IOException {
      headerOut.finish();
      bodyOut.finish();
    }

    /** Takes header bytes up to the end of the header block; returns where the body starts. */
    private int headerPart(byte[] bytes, int offset, int end) {
      int i = offset;
      int seen = lastFour;
      long headerSize = total - (end - offset); // header bytes before this write
      while (!inBody && i < end) {
        seen = (seen << 8) | (bytes[i++] & 0xFF);
        headerSize++;
        // RFC 5322 §2.1: the header ends at the first empty line (or the message starts with one).
        if (seen == 0x0D0A0D0A || (headerSize == 2 && (seen & 0xFFFF) == 0x0D0A)) {
          inBody = true;
        }
      }
      lastFour = seen;
      try {
        headerOut.write(bytes, offset, i - offset);
      } catch (IOException e) {
        throw new UncheckedIOException(e); // into memory: cannot happen
      }
      return i;
    }

    /** The header block, lines broken (a fold), into the header buffer. */
    private final class HeaderSink extends OutputStream {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) {
        header.write(bytes, offset, length);
      }
    }

    /** The body, lines broken: to the tap (the hash), and kept unless it is being dropped. */
    private final class BodySink extends OutputStream {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        bodyTap.write(bytes, offset, length);
        if (dropped) {
          return;
        }
        try {
          body.write(bytes, offset, length);
        } catch (IOException e) {
          storageFailed(e);
        }
      }
    }

    void checkLimits() throws SpoolException {
      if (total > maxMessageBytes) {
        throw new SpoolException(
            SpoolException.Reason.MESSAGE_TOO_LARGE,
            "message is " + total + " bytes, over the limit of " + maxMessageBytes);
      }
      if (storageFailure != null) {
        throw new SpoolException(
            SpoolException.Reason.NO_SPOOL_SPACE,
            "cannot write the spool file in " + directory + ": " + storageFailure);
      }
      switch (header.overflow()) {
        case OVER_LIMIT ->
            throw new SpoolException(
                SpoolException.Reason.HEADER_TOO_LARGE,
                "header block is over the limit of " + maxHeaderBytes + " bytes");
        case OVER_BUDGET ->
            throw new SpoolException(
                SpoolException.Reason.MEMORY_BUDGET_FULL,
                "the memory for messages in progress is full");
        case NONE -> {}
      }
    }

    SpooledMessage toMessage(boolean eightBit) throws SpoolException {
      try {
        body.finish(); // the last buffered bytes reach the disk only now
      } catch (IOException e) {
        storageFailed(e);
        checkLimits();
      }
      return new SpooledMessage(header, body, eightBit);
    }

    /** The rest of the message is still read (the session stays in step), but not kept. */
    private void storageFailed(IOException e) {
      storageFailure = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
      discard();
    }

    void discard() {
      dropped = true;
      header.close();
      try {
        body.close();
      } catch (IOException e) {
        // removeStaleFiles() at the next start deletes what could not be deleted now
      }
    }
  }
}
