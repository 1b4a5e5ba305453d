package org.dkimrelay.relay.milter;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.relay.spool.MemoryBudget;

/**
 * One milter packet: a 4-byte big-endian length (command byte included), the command byte, the
 * data. This class is the framing only; what a command means is {@link MilterSession}'s.
 */
record MilterPacket(byte command, byte[] data) {
  /** Postfix sends body chunks of at most 65,535 bytes; anything much larger is not a milter. */
  static final int MAX_LENGTH = 1024 * 1024;

  /**
   * Packets up to this size (a body chunk and then some) are read without asking the shared budget:
   * one per connection, so max-sessions bounds them. Only a header field can be larger (Postfix's
   * header_size_limit is 102,400 bytes by default); such a packet is read only when the budget has
   * room for it, and its bytes arrive into memory as they come, never allocated from the length the
   * peer declared.
   */
  static final int ORDINARY_LENGTH = 64 * 1024 + 64;

  /** A packet too large for the budget right now: its bytes were skipped, the stream is in step. */
  static final class Dropped extends IOException {
    private static final long serialVersionUID = 1L;
    final byte command;

    Dropped(byte command, int length) {
      super("a " + length + "-byte packet while the memory budget is full");
      this.command = command;
    }
  }

  /**
   * Reads the next packet; empty at a clean end of stream (the MTA closed between packets). {@code
   * started} runs once the packet's first byte has arrived (the rest must follow promptly). A
   * packet over {@link #ORDINARY_LENGTH} takes its bytes past that from {@code budget}: give them
   * back with {@link #reserved()} once the packet is handled.
   *
   * @throws MilterProtocolException for a length of 0 or over {@link #MAX_LENGTH}
   * @throws Dropped when a large packet did not fit in the budget (its bytes were skipped)
   * @throws EOFException when the stream ends inside a packet
   */
  static Optional<MilterPacket> read(InputStream in, MemoryBudget budget, Runnable started)
      throws IOException {
    DataInputStream data = new DataInputStream(in);
    int first = data.read();
    if (first < 0) {
      return Optional.empty();
    }
    started.run();
    int length = (first << 24) | (data.readUnsignedByte() << 16) | data.readUnsignedShort();
    if (length < 1 || length > MAX_LENGTH) {
      throw new MilterProtocolException("packet length " + Integer.toUnsignedString(length));
    }
    byte command = data.readByte();
    int size = length - 1;
    byte[] head = data.readNBytes(Math.min(size, ORDINARY_LENGTH)); // grows as bytes arrive
    if (head.length == size) {
      return Optional.of(new MilterPacket(command, head));
    }
    if (head.length < ORDINARY_LENGTH) {
      throw new EOFException("the stream ended inside a packet");
    }
    return Optional.of(new MilterPacket(command, readRest(data, command, size, head, budget)));
  }

  /** The bytes of a large packet past the first {@link #ORDINARY_LENGTH}, each within budget. */
  private static byte[] readRest(
      DataInputStream data, byte command, int size, byte[] head, MemoryBudget budget)
      throws IOException {
    List<byte[]> parts = new ArrayList<>(List.of(head));
    long taken = 0;
    try {
      for (int remaining = size - head.length; remaining > 0; ) {
        int chunk = Math.min(remaining, ORDINARY_LENGTH);
        if (!budget.take(chunk)) {
          data.skipNBytes(remaining);
          throw new Dropped(command, size + 1);
        }
        taken += chunk;
        byte[] part = data.readNBytes(chunk);
        if (part.length < chunk) {
          throw new EOFException("the stream ended inside a packet");
        }
        parts.add(part);
        remaining -= chunk;
      }
    } catch (IOException | RuntimeException e) {
      budget.giveBack(taken);
      throw e;
    }
    byte[] payload = new byte[size];
    int offset = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, payload, offset, part.length);
      offset += part.length;
    }
    return payload;
  }

  /** What {@link #read} took from the budget for this packet: its bytes past the ordinary. */
  long reserved() {
    return Math.max(0, data.length - ORDINARY_LENGTH);
  }

  void write(OutputStream out) throws IOException {
    int length = data.length + 1;
    out.write(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8)});
    out.write(length);
    out.write(command);
    out.write(data);
  }

  static MilterPacket of(byte command) {
    return new MilterPacket(command, new byte[0]);
  }

  /** The NUL-terminated strings the data is made of (a last one without NUL counts too). */
  List<String> strings(int from) {
    List<String> strings = new ArrayList<>();
    int start = from;
    for (int i = from; i < data.length; i++) {
      if (data[i] == 0) {
        strings.add(new String(data, start, i - start, StandardCharsets.ISO_8859_1));
        start = i + 1;
      }
    }
    if (start < data.length) {
      strings.add(new String(data, start, data.length - start, StandardCharsets.ISO_8859_1));
    }
    return strings;
  }

  /** The 32-bit big-endian number at {@code offset}. */
  int number(int offset) {
    if (data.length < offset + 4) {
      throw new MilterProtocolException(
          "command '" + (char) command + "' too short: " + data.length + " bytes");
    }
    return ((data[offset] & 0xFF) << 24)
        | ((data[offset + 1] & 0xFF) << 16)
        | ((data[offset + 2] & 0xFF) << 8)
        | (data[offset + 3] & 0xFF);
  }

  /** Builds a packet's data from 32-bit numbers and NUL-terminated strings. */
  static final class Data {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Data number(int value) {
      bytes.write(value >>> 24);
      bytes.write(value >>> 16);
      bytes.write(value >>> 8);
      bytes.write(value);
      return this;
    }

    /** A string as bytes (header values are bytes: Latin-1 keeps every one as it is). */
    Data string(String text) {
      bytes.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
      bytes.write(0);
      return this;
    }

    MilterPacket packet(byte command) {
      return new MilterPacket(command, bytes.toByteArray());
    }
  }
}
