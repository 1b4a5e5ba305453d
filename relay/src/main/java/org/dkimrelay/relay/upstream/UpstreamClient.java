package org.dkimrelay.relay.upstream;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.util.OptionalLong;
import org.dkimrelay.relay.reply.ReplyCode;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.upstream.UpstreamException.Kind;
import org.dkimrelay.relay.wire.DotStuffingOutputStream;
import org.dkimrelay.relay.wire.MailParameters;

/**
 * Our small RFC 5321 client for the next hop. It sends exactly the bytes it is given (dot-stuffed),
 * one RCPT per call so each recipient's reply can be passed back, and only the MAIL parameters
 * upstream advertised. Replies are checked strictly against RFC 5321 §4.3.2: a reply that does not
 * fit the command, or bytes nobody asked for, end the connection as a protocol violation, since
 * reading on would take some other reply for the one we wait for. A 421 ends it too (upstream is
 * closing). Not thread-safe: one per inbound session.
 */
public final class UpstreamClient implements Closeable {
  private final UpstreamSettings settings;
  private UpstreamConnection connection;
  private Extensions extensions = Extensions.NONE;
  private boolean broken;

  private UpstreamClient(UpstreamSettings settings) {
    this.settings = settings;
  }

  /** Connects, greets (EHLO, HELO if EHLO is refused), starts TLS and authenticates as set. */
  public static UpstreamClient connect(UpstreamSettings settings) throws UpstreamException {
    try {
      return opened(settings);
    } catch (UpstreamException e) {
      if (e.kind() != Kind.TLS || settings.tls() != UpstreamSettings.TlsMode.OPPORTUNISTIC) {
        throw e;
      }
      // Opportunistic: a failed handshake means plain text, but never a password in clear.
      if (settings.credentials().isPresent()) {
        throw new UpstreamException(
            Kind.TLS, "TLS failed and AUTH is configured: not sending the password in clear");
      }
      return opened(settings.withTls(UpstreamSettings.TlsMode.OFF));
    }
  }

  private static UpstreamClient opened(UpstreamSettings settings) throws UpstreamException {
    UpstreamClient client = new UpstreamClient(settings);
    try {
      client.open();
      return client;
    } catch (UpstreamException e) {
      client.close();
      throw e;
    }
  }

  private void open() throws UpstreamException {
    connection = UpstreamConnection.open(settings, where());
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
          .authenticate(
              settings.credentials().get(), extensions.parameter("AUTH"), connection.tls());
    }
  }

  /** True when upstream advertised the EHLO keyword (such as {@code 8BITMIME}). */
  public boolean supports(String keyword) {
    return extensions.supports(keyword);
  }

  public boolean tlsActive() {
    return connection != null && connection.tls();
  }

  /** False once a timeout or a dropped connection left the session in an unknown state. */
  public boolean usable() {
    return !broken && connection != null && connection.isOpen();
  }

  /**
   * Whether upstream spoke while nobody asked, between transactions: that is how a server says it
   * closes an idle connection (Postfix's {@code 421 4.4.2 Error: timeout exceeded}).
   */
  public boolean spokeUnasked() {
    return connection.hasUnreadBytes();
  }

  /** RFC 1870: the message size upstream takes, when it said one ({@code SIZE 0}: no limit). */
  public OptionalLong sizeLimit() {
    return extensions.sizeLimit();
  }

  /**
   * {@code MAIL FROM:<reversePath>} with the parameters upstream supports: SIZE, BODY=8BITMIME,
   * SMTPUTF8.
   */
  public SmtpReply mail(String reversePath, MailParameters parameters) throws UpstreamException {
    return finalReply("MAIL", command(parameters.mailCommand(reversePath, extensions::supports)));
  }

  public SmtpReply rcpt(String forwardPath) throws UpstreamException {
    return finalReply("RCPT", command("RCPT TO:<" + forwardPath + ">"));
  }

  public SmtpReply rset() throws UpstreamException {
    return command("RSET");
  }

  /**
   * Sends DATA and, after 354, the content that {@code writer} writes (dot-stuffed, CRLF.CRLF at
   * the end), then waits for the final reply. A 4xx or 5xx reply to DATA is returned as it is.
   */
  public SmtpReply data(ContentWriter writer) throws UpstreamException {
    SmtpReply go = command("DATA");
    if (go.code() != ReplyCode.START_MAIL_INPUT) {
      if (go.positive()) {
        throw violation("DATA was answered " + go + " instead of 354");
      }
      return go;
    }
    SmtpReply result;
    try {
      DotStuffingOutputStream content = new DotStuffingOutputStream(connection.content());
      writer.writeTo(content);
      content.finish();
      result = connection.readReplyAfterContent();
    } catch (IOException e) {
      throw failure("the message", e);
    }
    return finalReply("the message", closingCheck(result));
  }

  /** RFC 5321 §4.3.2: MAIL, RCPT and the message end in 2xx, 4xx or 5xx, never in 3xx. */
  private SmtpReply finalReply(String what, SmtpReply reply) throws UpstreamException {
    if (reply.intermediate()) {
      throw violation(what + " was answered " + reply);
    }
    return reply;
  }

  private UpstreamException violation(String what) {
    close();
    return new UpstreamException(Kind.PROTOCOL, where() + ": " + what);
  }

  /** 421: upstream closes its side (RFC 5321 §3.8); this connection is over. */
  private SmtpReply closingCheck(SmtpReply reply) throws UpstreamException {
    if (reply.code() == ReplyCode.SERVICE_NOT_AVAILABLE) {
      close();
      throw new UpstreamException(Kind.DROPPED, where() + " is closing: " + reply);
    }
    return reply;
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
    if (connection != null) {
      connection.close();
    }
  }

  SmtpReply command(String line) throws UpstreamException {
    String verb = line.split(" ", 2)[0];
    if (usable() && spokeUnasked()) {
      throw violation("unasked bytes before " + verb);
    }
    return closingCheck(
        expect(
            verb,
            () -> {
              send(line);
              return readReply();
            }));
  }

  private void greet() throws UpstreamException {
    SmtpReply ehlo = command("EHLO " + settings.heloName());
    if (ehlo.positive()) {
      extensions = Extensions.parse(ehlo.lines());
      return;
    }
    SmtpReply helo = command("HELO " + settings.heloName());
    if (!helo.positive()) {
      throw new UpstreamException(Kind.UNREACHABLE, where() + " refused EHLO and HELO: " + helo);
    }
    extensions = Extensions.NONE;
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
      connection.startTls(required);
    } catch (IOException | GeneralSecurityException e) {
      throw new UpstreamException(
          Kind.TLS, "TLS with " + where() + " failed: " + e.getMessage(), e);
    }
    greet(); // RFC 3207 §4.2: forget what was learnt before TLS
  }

  void send(String line) throws IOException {
    connection.send(line);
  }

  SmtpReply readReply() throws IOException {
    return connection.readReply();
  }

  private interface Exchange {
    SmtpReply run() throws IOException;
  }

  private SmtpReply expect(String what, Exchange exchange) throws UpstreamException {
    if (broken && connection != null && !connection.isOpen()) {
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
    return UpstreamException.duringExchange(where(), what, e);
  }

  private String where() {
    return "upstream " + settings.host() + ":" + settings.port();
  }
}
