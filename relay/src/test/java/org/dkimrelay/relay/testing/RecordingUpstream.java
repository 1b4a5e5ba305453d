package org.dkimrelay.relay.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An upstream SMTP server inside the test that records every command and the exact bytes of each
 * DATA phase, and answers as told: replies can be overridden per command prefix, and the special
 * reply {@link #DROP} closes the connection instead of answering.
 */
public final class RecordingUpstream implements AutoCloseable {
  public static final String DROP = "<drop>";

  /** One completed DATA phase. {@code wire} is as received; {@code content} is unstuffed. */
  public record Transaction(
      int connection, String mail, List<String> rcpts, byte[] wire, byte[] content) {}

  private final ServerSocket server;
  private final List<String> extensions;
  private final SSLContext tls;
  private final Map<String, String> replies = new LinkedHashMap<>();
  private final List<Transaction> transactions = new CopyOnWriteArrayList<>();
  private final List<String> commands = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Object changed = new Object();
  private volatile boolean silentGreeting;

  private RecordingUpstream(List<String> extensions, SSLContext tls) throws IOException {
    this.extensions = List.copyOf(extensions);
    this.tls = tls;
    this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "recording-upstream");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public static RecordingUpstream start() throws IOException {
    return new RecordingUpstream(
        List.of("PIPELINING", "SIZE 104857600", "8BITMIME", "SMTPUTF8"), null);
  }

  public static RecordingUpstream withExtensions(List<String> extensions) throws IOException {
    return new RecordingUpstream(extensions, null);
  }

  /** Offers STARTTLS with {@code tls}'s certificate. */
  public static RecordingUpstream withTls(SSLContext tls, String... moreExtensions)
      throws IOException {
    List<String> extensions = new ArrayList<>(List.of("PIPELINING", "8BITMIME", "STARTTLS"));
    extensions.addAll(List.of(moreExtensions));
    return new RecordingUpstream(extensions, tls);
  }

  /** From now on new connections are accepted but never greeted (a hung upstream). */
  public RecordingUpstream silentGreeting() {
    silentGreeting = true;
    return this;
  }

  /**
   * Closes every open connection, as upstream's idle timeout does (Postfix's smtpd_timeout), after
   * writing {@code notice} (such as a 421 line) when it is not null.
   */
  public void closeConnections(String notice) throws IOException {
    for (Socket socket : sockets) {
      if (notice != null && !socket.isClosed()) {
        try {
          socket.getOutputStream().write((notice + "\r\n").getBytes(StandardCharsets.US_ASCII));
          socket.getOutputStream().flush();
        } catch (IOException e) {
          // already gone
        }
      }
      socket.close();
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Answers commands that start with {@code prefix} (case-insensitive) with {@code reply}. */
  public RecordingUpstream reply(String prefix, String reply) {
    replies.put(prefix.toUpperCase(Locale.ROOT), reply);
    return this;
  }

  public List<Transaction> transactions() {
    return List.copyOf(transactions);
  }

  public List<String> commands() {
    return List.copyOf(commands);
  }

  public int connections() {
    return connections.get();
  }

  /** Waits until {@code count} transactions were recorded (or fails after {@code limit}). */
  public List<Transaction> awaitTransactions(int count, Duration limit)
      throws InterruptedException {
    awaitCondition(() -> transactions.size() >= count, limit, count + " transactions");
    return transactions();
  }

  /** Waits until a command starting with {@code prefix} was received. */
  public void awaitCommand(String prefix, Duration limit) throws InterruptedException {
    awaitCondition(
        () ->
            commands.stream()
                .anyMatch(
                    c -> c.toUpperCase(Locale.ROOT).startsWith(prefix.toUpperCase(Locale.ROOT))),
        limit,
        "command " + prefix);
  }

  private interface Condition {
    boolean holds();
  }

  private void awaitCondition(Condition condition, Duration limit, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    synchronized (changed) {
      while (!condition.holds()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              "upstream did not see " + what + " within " + limit + "; commands: " + commands);
        }
        changed.wait(Math.max(1, left / 1_000_000));
      }
    }
  }

  private void signal() {
    synchronized (changed) {
      changed.notifyAll();
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        sockets.add(socket);
        int number = connections.incrementAndGet();
        Thread session = new Thread(() -> serve(socket, number), "recording-upstream-" + number);
        session.setDaemon(true);
        session.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket socket, int connection) {
    try {
      Conversation conversation = new Conversation(socket);
      if (silentGreeting) {
        conversation.readLine(); // until the relay gives up and closes
        return;
      }
      conversation.reply("220 recording.test ESMTP");
      String mail = null;
      List<String> rcpts = new ArrayList<>();
      while (true) {
        String line = conversation.readLine();
        if (line == null) {
          return;
        }
        commands.add(line);
        signal();
        String upper = line.toUpperCase(Locale.ROOT);
        String override = override(upper);
        if (DROP.equals(override)) {
          socket.close();
          return;
        }
        if (upper.startsWith("EHLO")) {
          StringBuilder ehlo = new StringBuilder("250-recording.test");
          for (int i = 0; i < extensions.size(); i++) {
            ehlo.append("\r\n250")
                .append(i == extensions.size() - 1 ? " " : "-")
                .append(extensions.get(i));
          }
          conversation.reply(override != null ? override : ehlo.toString());
        } else if (upper.startsWith("STARTTLS") && tls != null) {
          conversation.reply("220 2.0.0 go ahead");
          SSLSocket secure =
              (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
          secure.setUseClientMode(false);
          secure.startHandshake();
          socket = secure;
          conversation = new Conversation(secure);
        } else if (upper.startsWith("MAIL")) {
          mail = line;
          rcpts.clear();
          conversation.reply(override != null ? override : "250 2.1.0 Ok");
        } else if (upper.startsWith("RCPT")) {
          rcpts.add(line);
          conversation.reply(override != null ? override : "250 2.1.5 Ok");
        } else if (upper.equals("DATA")) {
          if (override != null) {
            conversation.reply(override);
            continue;
          }
          conversation.reply("354 go ahead");
          byte[] wire = conversation.readData();
          if (wire.length > sizeLimit()) {
            conversation.reply("552 5.3.4 message too big for this server");
            continue;
          }
          String afterDot = override(".");
          if (DROP.equals(afterDot)) {
            socket.close();
            return;
          }
          transactions.add(
              new Transaction(connection, mail, List.copyOf(rcpts), wire, unstuff(wire)));
          signal();
          conversation.reply(
              afterDot != null ? afterDot : "250 2.0.0 Ok: queued as " + transactions.size());
        } else if (upper.startsWith("QUIT")) {
          conversation.reply("221 2.0.0 Bye");
          socket.close();
          return;
        } else if (upper.startsWith("RSET")
            || upper.startsWith("NOOP")
            || upper.startsWith("HELO")) {
          conversation.reply(override != null ? override : "250 2.0.0 Ok");
        } else {
          conversation.reply(override != null ? override : "500 5.5.2 unknown command");
        }
      }
    } catch (IOException e) {
      // the relay closed the connection: nothing to record
    } finally {
      signal();
    }
  }

  /** RFC 1870: what "SIZE n" advertised (0 and no SIZE: no limit). */
  private long sizeLimit() {
    return extensions.stream()
        .filter(e -> e.toUpperCase(Locale.ROOT).startsWith("SIZE "))
        .mapToLong(e -> Long.parseLong(e.substring(5).trim()))
        .filter(limit -> limit > 0)
        .findFirst()
        .orElse(Long.MAX_VALUE);
  }

  private String override(String upperCommand) {
    for (Map.Entry<String, String> entry : replies.entrySet()) {
      if (upperCommand.startsWith(entry.getKey())) {
        return entry.getValue();
      }
    }
    return null;
  }

  /** RFC 5321 §4.5.2, receiver side: drop the first "." of each line that starts with one. */
  static byte[] unstuff(byte[] wire) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(wire.length);
    boolean lineStart = true;
    for (int i = 0; i < wire.length; i++) {
      if (!(lineStart && wire[i] == '.')) {
        out.write(wire[i]);
      }
      lineStart = wire[i] == '\n' && i > 0 && wire[i - 1] == '\r';
    }
    return out.toByteArray();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }

  /** Line reading and writing on one socket. */
  private static final class Conversation {
    private final InputStream in;
    private final OutputStream out;

    Conversation(Socket socket) throws IOException {
      this.in = new BufferedInputStream(socket.getInputStream());
      this.out = socket.getOutputStream();
    }

    void reply(String text) throws IOException {
      out.write((text + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    String readLine() throws IOException {
      byte[] line = readRawLine();
      return line == null ? null : new String(line, 0, line.length - 2, StandardCharsets.UTF_8);
    }

    /** The DATA bytes up to (not including) the CRLF "." CRLF that ends them. */
    byte[] readData() throws IOException {
      ByteArrayOutputStream data = new ByteArrayOutputStream();
      while (true) {
        byte[] line = readRawLine();
        if (line == null) {
          throw new IOException("connection closed in DATA");
        }
        if (line.length == 3 && line[0] == '.') {
          return data.toByteArray();
        }
        data.write(line);
      }
    }

    /** One line with its CRLF; a bare LF does not end a line here. */
    private byte[] readRawLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream(256);
      int previous = -1;
      while (true) {
        int b = in.read();
        if (b < 0) {
          return null;
        }
        line.write(b);
        if (previous == '\r' && b == '\n') {
          return line.toByteArray();
        }
        previous = b;
      }
    }
  }
}
