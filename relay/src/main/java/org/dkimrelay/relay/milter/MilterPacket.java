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

/**
 * One milter packet: a 4-byte big-endian length (command byte included), the command byte, the
 * data. This class is the framing only; what a command means is {@link MilterSession}'s.
 */
record MilterPacket(byte command, byte[] data) {
  /** Postfix sends body chunks of at most 65,535 bytes; anything much larger is not a milter. */
  static final int MAX_LENGTH = 1024 * 1024;

  /**
   * Reads the next packet; empty at a clean end of stream (the MTA closed between packets).
   *
   * @throws MilterProtocolException for a length of 0 or over {@link #MAX_LENGTH}
   * @throws EOFException when the stream ends inside a packet
   */
  static Optional<MilterPacket> read(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    int first = data.read();
    if (first < 0) {
      return Optional.empty();
    }
    int length = (first << 24) | (data.readUnsignedByte() << 16) | data.readUnsignedShort();
    if (length < 1 || length > MAX_LENGTH) {
      throw new MilterProtocolException("packet length " + Integer.toUnsignedString(length));
    }
    byte command = data.readByte();
    byte[] payload = new byte[length - 1];
    data.readFully(payload);
    return Optional.of(new MilterPacket(command, payload));
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
