package org.dkimrelay.relay.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A raw SMTP client for tests: sends exactly the bytes it is given and reads whole replies, so
 * tests can pipeline, smuggle, and hang up mid-DATA.
 */
public final class SmtpTestClient implements AutoCloseable {
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  private SmtpTestClient(Socket socket) throws IOException {
    this.socket = socket;
    this.socket.setSoTimeout(60_000);
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  public static SmtpTestClient connect(int port) throws IOException {
    return connect(InetAddress.getLoopbackAddress(), port);
  }

  /** Connects from the loopback address {@code from} (such as 127.0.0.2) to 127.0.0.1. */
  public static SmtpTestClient connectFrom(InetAddress from, int port) throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(from, 0));
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
    return new SmtpTestClient(socket);
  }

  public static SmtpTestClient connect(InetAddress address, int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(address, port), 10_000);
    return new SmtpTestClient(socket);
  }

  /**
   * STARTTLS: expects 220, then continues over TLS with {@code context}, checking the server's
   * certificate for {@code host}; returns the negotiated protocol.
   */
  public String startTls(SSLContext context, String host) throws IOException {
    expect(command("STARTTLS"), "220");
    SSLSocket tls =
        (SSLSocket) context.getSocketFactory().createSocket(socket, host, socket.getPort(), true);
    javax.net.ssl.SSLParameters parameters = tls.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the name check of RFC 6125
    tls.setSSLParameters(parameters);
    tls.startHandshake();
    socket = tls;
    in = new BufferedInputStream(tls.getInputStream());
    out = tls.getOutputStream();
    return tls.getSession().getProtocol();
  }

  /** Sends {@code line} plus CRLF and returns the reply. */
  public String command(String line) throws IOException {
    send(line + "\r\n");
    return reply();
  }

  public void send(String raw) throws IOException {
    send(raw.getBytes(StandardCharsets.UTF_8));
  }

  public void send(byte[] raw) throws IOException {
    out.write(raw);
    out.flush();
  }

  /** One whole reply, lines joined by "\n" (without the final one); null if the peer closed. */
  public String reply() throws IOException {
    StringBuilder reply = new StringBuilder();
    while (true) {
      String line = readLine();
      if (line == null) {
        return reply.length() == 0 ? null : reply.toString();
      }
      if (reply.length() > 0) {
        reply.append('\n');
      }
      reply.append(line);
      if (line.length() < 4 || line.charAt(3) != '-') {
        return reply.toString();
      }
    }
  }

  /**
   * Sends a whole transaction (dot-stuffing {@code message}) and returns the reply to the final
   * dot.
   */
  public String sendMail(String from, String to, byte[] message) throws IOException {
    expect(command("MAIL FROM:<" + from + ">"), "250");
    expect(command("RCPT TO:<" + to + ">"), "250");
    expect(command("DATA"), "354");
    send(stuff(message));
    return reply();
  }

  public static void expect(String reply, String code) {
    if (reply == null || !reply.startsWith(code)) {
      throw new AssertionError("expected " + code + ", got: " + reply);
    }
  }

  /** Dot-stuffs and terminates a CRLF message, as a client does. */
  public static byte[] stuff(byte[] message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 64);
    boolean lineStart = true;
    for (int i = 0; i < message.length; i++) {
      if (lineStart && message[i] == '.') {
        out.write('.');
      }
      out.write(message[i]);
      lineStart = message[i] == '\n' && i > 0 && message[i - 1] == '\r';
    }
    if (!lineStart) {
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
      }
      if (previous == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
      }
      line.write(b);
      previous = b;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
