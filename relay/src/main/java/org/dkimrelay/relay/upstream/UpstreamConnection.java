package org.dkimrelay.relay.upstream;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.upstream.UpstreamException.Kind;
import org.dkimrelay.relay.wire.ReplyReader;

/** The socket to upstream and its buffered streams, before and after STARTTLS; no SMTP logic. */
final class UpstreamConnection {
  private static final byte[] CRLF = {'\r', '\n'};

  private final UpstreamSettings settings;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private ReplyReader replies;
  private boolean tls;

  private UpstreamConnection(UpstreamSettings settings, Socket socket) {
    this.settings = settings;
    this.socket = socket;
  }

  /** Connects within {@code upstream.connect-timeout}; replies are then waited for as set. */
  static UpstreamConnection open(UpstreamSettings settings, String where) throws UpstreamException {
    Socket socket = new Socket();
    UpstreamConnection connection = new UpstreamConnection(settings, socket);
    try {
      socket.setTcpNoDelay(true); // replies are waited for one by one: no Nagle delay on them
      socket.connect(
          new InetSocketAddress(settings.host(), settings.port()),
          millis(settings.connectTimeout()));
      connection.attachStreams();
      return connection;
    } catch (IOException e) {
      connection.close();
      throw new UpstreamException(
          Kind.UNREACHABLE, "cannot connect to " + where + ": " + e.getMessage(), e);
    }
  }

  /** The TLS handshake after upstream's 220 to STARTTLS; from now on everything is encrypted. */
  void startTls(boolean required) throws IOException, GeneralSecurityException {
    socket = TlsContexts.handshake(socket, settings, required);
    tls = true;
    attachStreams();
  }

  private void attachStreams() throws IOException {
    socket.setSoTimeout(millis(settings.commandTimeout()));
    in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    replies = new ReplyReader(in);
  }

  boolean tls() {
    return tls;
  }

  boolean isOpen() {
    return !socket.isClosed();
  }

  /** Bytes upstream sent that nobody has read yet (or the connection failed). */
  boolean hasUnreadBytes() {
    try {
      return in.available() > 0;
    } catch (IOException e) {
      return true;
    }
  }

  void send(String line) throws IOException {
    out.write(line.getBytes(StandardCharsets.UTF_8));
    out.write(CRLF);
    out.flush();
  }

  SmtpReply readReply() throws IOException {
    return replies.read();
  }

  /** Where the message content goes; the caller flushes it. */
  OutputStream content() {
    return out;
  }

  /** Reads the reply that follows the message with {@code upstream.data-timeout}. */
  SmtpReply readReplyAfterContent() throws IOException {
    socket.setSoTimeout(millis(settings.dataTimeout()));
    SmtpReply reply = readReply();
    socket.setSoTimeout(millis(settings.commandTimeout()));
    return reply;
  }

  void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  private static int millis(Duration duration) {
    return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
  }
}
