package org.dkimrelay.relay.upstream;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.dkimrelay.relay.reply.ReplyCode;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.upstream.UpstreamException.Kind;

/**
 * Our small RFC 5321 client for the next hop. It sends exactly the bytes it is given (dot-stuffed),
 * one RCPT per call so each recipient's reply can be passed back, and only the MAIL parameters
 * upstream advertised. Not thread-safe: one per inbound session.
 */
public final class UpstreamClient implements Closeable {
  private static final byte[] CRLF = {'\r', '\n'};

  private final UpstreamSettings settings;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private ReplyReader replies;
  private Map<String, String> extensions = Map.of();
  private boolean tlsActive;
  private boolean broken;

  private UpstreamClient(UpstreamSettings settings) {
    this.settings = settings;
  }

  /** Connects, greets (EHLO, HELO if EHLO is refused), starts TLS and authenticates as set. */
  public static UpstreamClient connect(UpstreamSettings settings) throws UpstreamException {
    UpstreamClient client = new UpstreamClient(settings);
    try {
      client.open();
      return client;
    } catch (UpstreamException e) {
      client.close();
      if (e.kind() == Kind.TLS && settings.tls() == UpstreamSettings.TlsMode.OPPORTUNISTIC) {
        return plainFallback(settings); // opportunistic: a failed handshake means plain text
      }
      throw e;
    }
  }

  private static UpstreamClient plainFallback(UpstreamSettings settings) throws UpstreamException {
    UpstreamSettings plain =
        new UpstreamSettings(
            settings.host(),
            settings.port(),
            UpstreamSettings.TlsMode.OFF,
            settings.tlsContext(),
            settings.credentials(),
            settings.heloName(),
            settings.connectTimeout(),
            settings.commandTimeout(),
            settings.dataTimeout());
    if (settings.credentials().isPresent()) {
      throw new UpstreamException(
          Kind.TLS, "TLS failed and AUTH is configured: not sending the password in clear");
    }
    UpstreamClient client = new UpstreamClient(plain);
    try {
      client.open();
      return client;
    } catch (UpstreamException e) {
      client.close();
      throw e;
    }
  }

  private void open() throws UpstreamException {
    try {
      socket = new Socket();
      socket.setTcpNoDelay(true); // replies are waited for one by one: no Nagle delay on them
      socket.connect(
          new InetSocketAddress(settings.host(), settings.port()),
          millis(settings.connectTimeout()));
    } catch (IOException e) {
      throw new UpstreamException(
          Kind.UNREACHABLE, "cannot connect to " + where() + ": " + e.getMessage(), e);
    }
    attachStreams();
    SmtpReply greeting = expect("greeting", this::readReply);
    if (greeting.code() != ReplyCode.SERVICE_READY) {
      throw new UpstreamException(Kind.UNREACHABLE, where() + " refused the session: " + greeting);
    }
    greet();
    if (settings.tls() != UpstreamSettings.TlsMode.OFF) {
      startTls();
    }
    if (settings.credentials().isPresent()) {
      new Authenticator(this)
          .authenticate(settings.credentials().get(), extensions.get("AUTH"), tlsActive);
    }
  }

  /** True when upstream advertised the EHLO keyword (such as {@code 8BITMIME}). */
  public boolean supports(String keyword) {
    return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
  }

  public boolean tlsActive() {
    return tlsActive;
  }

  /** False once a timeout or a dropped connection left the session in an unknown state. */
  public boolean usable() {
    return !broken && socket != null && !socket.isClosed();
  }

  /**
   * {@code MAIL FROM:<reversePath>} with the parameters upstream supports: SIZE, BODY=8BITMIME,
   * SMTPUTF8.
   */
  public SmtpReply mail(String reversePath, MailParameters parameters) throws UpstreamException {
    StringBuilder command = new StringBuilder("MAIL FROM:<").append(reversePath).append('>');
    if (parameters.size() > 0 && supports("SIZE")) {
      command.append(" SIZE=").append(parameters.size());
    }
    if (parameters.eightBitMime() && supports("8BITMIME")) {
      command.append(" BODY=8BITMIME");
    }
    if (parameters.smtpUtf8() && supports("SMTPUTF8")) {
      command.append(" SMTPUTF8");
    }
    return command(command.toString());
  }

  public SmtpReply rcpt(String forwardPath) throws UpstreamException {
    return command("RCPT TO:<" + forwardPath + ">");
  }

  public SmtpReply rset() throws UpstreamException {
    return command("RSET");
  }

  /**
   * Sends DATA and, after 354, the content that {@code writer} writes (dot-stuffed, CRLF.CRLF at
   * the end), then waits for the final reply. Any other reply to DATA is returned as it is.
   */
  public SmtpReply data(ContentWriter writer) throws UpstreamException {
    SmtpReply go = command("DATA");
    if (go.code() != ReplyCode.START_MAIL_INPUT) {
      return go;
    }
    try {
      DotStuffingOutputStream content = new DotStuffingOutputStream(out);
      writer.writeTo(content);
      content.finish();
      socket.setSoTimeout(millis(settings.dataTimeout()));
      SmtpReply result = readReply();
      socket.setSoTimeout(millis(settings.commandTimeout()));
      return result;
    } catch (IOException e) {
      throw failure("the message", e);
    }
  }

  /** Writes the message content; the stream dot-stuffs it. */
  @FunctionalInterface
  public interface ContentWriter {
    void writeTo(OutputStream content) throws IOException;
  }

  /** Says QUIT and closes; never fails. */
  public void quit() {
    if (usable()) {
      try {
        send("QUIT");
        readReply();
      } catch (IOException e) {
        // closing anyway
      }
    }
    close();
  }

  @Override
  public void close() {
    broken = true;
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // nothing left to do
      }
    }
  }

  SmtpReply command(String line) throws UpstreamException {
    return expect(
        line.split(" ", 2)[0],
        () -> {
          send(line);
          return readReply();
        });
  }

  private void greet() throws UpstreamException {
    SmtpReply ehlo = command("EHLO " + settings.heloName());
    if (ehlo.positive()) {
      extensions = parseExtensions(ehlo.lines());
      return;
    }
    SmtpReply helo = command("HELO " + settings.heloName());
    if (!helo.positive()) {
      throw new UpstreamException(Kind.UNREACHABLE, where() + " refused EHLO and HELO: " + helo);
    }
    extensions = Map.of();
  }

  private void startTls() throws UpstreamException {
    boolean required = settings.tls() == UpstreamSettings.TlsMode.REQUIRED;
    if (!supports("STARTTLS")) {
      if (required) {
        throw new UpstreamException(
            Kind.TLS, where() + " does not offer STARTTLS (upstream.starttls = required)");
      }
      return;
    }
    SmtpReply reply = command("STARTTLS");
    if (reply.code() != ReplyCode.SERVICE_READY) {
      if (required) {
        throw new UpstreamException(Kind.TLS, where() + " refused STARTTLS: " + reply);
      }
      return;
    }
    try {
      // Opportunistic: encrypt, but do not authenticate (RFC 7435); required: verify the name.
      SSLContext context = required ? settings.tlsContext() : TlsContexts.unauthenticated();
      SSLSocket tls =
          (SSLSocket)
              context
                  .getSocketFactory()
                  .createSocket(socket, settings.host(), settings.port(), true);
      SSLParameters parameters = tls.getSSLParameters();
      if (required) {
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 6125 name check
      }
      parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      tls.setSSLParameters(parameters);
      tls.startHandshake();
      socket = tls;
      tlsActive = true;
      attachStreams();
    } catch (IOException | GeneralSecurityException e) {
      throw new UpstreamException(
          Kind.TLS, "TLS with " + where() + " failed: " + e.getMessage(), e);
    }
    greet(); // RFC 3207 §4.2: forget what was learnt before TLS
  }

  private void attachStreams() throws UpstreamException {
    try {
      socket.setSoTimeout(millis(settings.commandTimeout()));
      in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
      out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      replies = new ReplyReader(in);
    } catch (IOException e) {
      throw new UpstreamException(
          Kind.UNREACHABLE, "cannot talk to " + where() + ": " + e.getMessage(), e);
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

  private interface Exchange {
    SmtpReply run() throws IOException;
  }

  private SmtpReply expect(String what, Exchange exchange) throws UpstreamException {
    if (broken && socket != null && socket.isClosed()) {
      throw new UpstreamException(Kind.DROPPED, "the connection to " + where() + " is closed");
    }
    try {
      return exchange.run();
    } catch (IOException e) {
      throw failure(what, e);
    }
  }

  private UpstreamException failure(String what, IOException e) {
    close();
    if (e instanceof SocketTimeoutException) {
      return new UpstreamException(
          Kind.TIMEOUT, where() + " did not answer " + what + " in time", e);
    }
    return new UpstreamException(
        Kind.DROPPED,
        where() + " dropped the connection during " + what + ": " + e.getMessage(),
        e);
  }

  private String where() {
    return "upstream " + settings.host() + ":" + settings.port();
  }

  /** EHLO keywords (upper case) and their parameters, from the lines after the greeting line. */
  private static Map<String, String> parseExtensions(List<String> lines) {
    Map<String, String> keywords = new HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] parts = line.trim().split("\\s+", 2);
      keywords.put(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : "");
    }
    return keywords;
  }

  private static int millis(Duration duration) {
    return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
  }
}
