package org.dkimrelay.relay.milter;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.relay.spool.MemoryBudget;

/**
 * A milter peer over a real TCP socket: speaks as Postfix's milter8.c does (protocol 6, every
 * SMFIP_ flag offered), or sends whatever a hostile local process would.
 */
final class MilterClient implements Closeable {
  static final int POSTFIX_ACTIONS = 0x1FF;
  static final int POSTFIX_PROTOCOL = 0x1FFFFF;
  private static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE);

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private int negotiated;

  private MilterClient(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new BufferedInputStream(socket.getInputStream());
  }

  static MilterClient connect(int port) throws IOException {
    return connect(InetAddress.getLoopbackAddress(), port);
  }

  /** Connects from {@code local} (another loopback address, 127.0.0.2, to test allow lists). */
  static MilterClient connect(InetAddress local, int port) throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(local, 0));
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
    socket.setSoTimeout(30_000);
    return new MilterClient(socket);
  }

  void send(MilterPacket packet) throws IOException {
    packet.write(out);
    out.flush();
  }

  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  MilterPacket receive() throws IOException {
    return MilterPacket.read(in, UNLIMITED, () -> {})
        .orElseThrow(() -> new IOException("the milter closed the connection"));
  }

  /** Option negotiation as Postfix sends it; returns the flags the milter chose. */
  int negotiate() throws IOException {
    send(
        new MilterPacket.Data()
            .number(6)
            .number(POSTFIX_ACTIONS)
            .number(POSTFIX_PROTOCOL)
            .packet(MilterProtocol.OPTION_NEGOTIATION));
    negotiated = receive().number(8);
    return negotiated;
  }

  /**
   * One message from 127.0.0.1 as Postfix sends it after negotiation; returns the milter's answers
   * from MAIL to end of message.
   */
  List<MilterPacket> message(String from, String body) throws IOException {
    send(connectPacket());
    expectUnless(MilterProtocol.NO_REPLY_CONNECT);
    List<MilterPacket> answers = new ArrayList<>();
    send(new MilterPacket.Data().string("<" + from + ">").packet(MilterProtocol.MAIL));
    answers.add(receive());
    if (answers.get(0).command() != MilterProtocol.CONTINUE) {
      return answers;
    }
    for (String[] field :
        List.of(
            new String[] {"From", " <" + from + ">"},
            new String[] {"To", " bob@example.org"},
            new String[] {"Subject", " through the milter"})) {
      send(new MilterPacket.Data().string(field[0]).string(field[1]).packet(MilterProtocol.HEADER));
      expectUnless(MilterProtocol.NO_REPLY_HEADER);
    }
    send(new MilterPacket(MilterProtocol.BODY, body.getBytes(StandardCharsets.ISO_8859_1)));
    expectUnless(MilterProtocol.NO_REPLY_BODY);
    answers.addAll(endMessage());
    return answers;
  }

  /** SMFIC_CONNECT for a client at 127.0.0.1, as milter8.c sends it. */
  static MilterPacket connectPacket() {
    ByteArrayOutputStream connect = new ByteArrayOutputStream();
    connect.writeBytes("localhost\0".getBytes(StandardCharsets.US_ASCII));
    connect.write(MilterProtocol.FAMILY_INET);
    connect.writeBytes(new byte[] {0x30, 0x39}); // the client's port, network order
    connect.writeBytes("127.0.0.1\0".getBytes(StandardCharsets.US_ASCII));
    return new MilterPacket(MilterProtocol.CONNECT, connect.toByteArray());
  }

  /** A header field of almost 64 KiB: a packet as large as an ordinary one gets. */
  static MilterPacket fillerHeader() {
    byte[] value = new byte[64 * 1024 - 64];
    Arrays.fill(value, (byte) 'h');
    return new MilterPacket.Data()
        .string("X-Filler")
        .string(new String(value, StandardCharsets.ISO_8859_1))
        .packet(MilterProtocol.HEADER);
  }

  /** SMFIC_MACRO for MAIL with one macro {@code name} of almost 1 MiB. */
  static MilterPacket mebibyteMacro(String name) {
    byte[] value = new byte[1024 * 1024 - 64];
    Arrays.fill(value, (byte) 'm');
    byte[] pair =
        new MilterPacket.Data()
            .string(name)
            .string(new String(value, StandardCharsets.ISO_8859_1))
            .packet(MilterProtocol.MACRO)
            .data();
    byte[] data = new byte[pair.length + 1];
    data[0] = MilterProtocol.MAIL; // the command the macros belong to
    System.arraycopy(pair, 0, data, 1, pair.length);
    return new MilterPacket(MilterProtocol.MACRO, data);
  }

  /** Starts a message from 127.0.0.1 (CONNECT, MAIL); the MAIL answer must be continue. */
  void startMessage() throws IOException {
    send(connectPacket());
    expectUnless(MilterProtocol.NO_REPLY_CONNECT);
    send(new MilterPacket.Data().string("<a@example.com>").packet(MilterProtocol.MAIL));
    MilterPacket answer = receive();
    if (answer.command() != MilterProtocol.CONTINUE) {
      throw new IOException("MAIL was answered '" + (char) answer.command() + "'");
    }
  }

  /** Ends the message; returns the answers up to the first that is not an inserted header. */
  List<MilterPacket> endMessage() throws IOException {
    send(MilterPacket.of(MilterProtocol.BODY_END));
    List<MilterPacket> answers = new ArrayList<>();
    for (MilterPacket answer = receive(); ; answer = receive()) {
      answers.add(answer);
      if (answer.command() != MilterProtocol.INSERT_HEADER) {
        return answers;
      }
    }
  }

  private void expectUnless(int noReplyFlag) throws IOException {
    if ((negotiated & noReplyFlag) == 0) {
      receive();
    }
  }

  /**
   * True when the milter closes the connection within {@code wait} (end of stream or a reset),
   * reading and dropping anything it sends first.
   */
  boolean closedWithin(Duration wait) throws IOException {
    socket.setSoTimeout((int) wait.toMillis());
    try {
      while (in.read() >= 0) {
        // what it answered before closing does not matter here
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** The DKIM-Signature fields inserted among {@code answers}, as "DKIM-Signature: value". */
  static List<String> insertedSignatures(List<MilterPacket> answers) {
    return answers.stream()
        .filter(p -> p.command() == MilterProtocol.INSERT_HEADER)
        .map(p -> p.strings(4))
        .map(field -> field.get(0) + ":" + field.get(1))
        .toList();
  }

  /** The reply text of an SMFIR_REPLYCODE among {@code answers}. */
  static Optional<String> reply(List<MilterPacket> answers) {
    return answers.stream()
        .filter(p -> p.command() == MilterProtocol.REPLY_CODE)
        .map(p -> p.strings(0).get(0))
        .findFirst();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
