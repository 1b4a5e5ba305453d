package org.dkimrelay.relay.upstream;

import java.io.IOException;
import java.net.SocketTimeoutException;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.wire.ReplyReader;

/** Upstream could not be used; {@link Kind} says how, so the caller can pick the reply. */
public final class UpstreamException extends Exception {
  private static final long serialVersionUID = 1L;

  /** How it failed. */
  public enum Kind {
    /** Could not connect, or it refused us at the greeting. */
    UNREACHABLE,
    /** It did not answer in time (RFC 5321 §4.5.3.2). */
    TIMEOUT,
    /** It closed the connection, or said 421, in the middle of a transaction. */
    DROPPED,
    /** It answered what RFC 5321 does not allow there, or spoke unasked. */
    PROTOCOL,
    /** TLS was required and could not be had, or the handshake or certificate check failed. */
    TLS,
    /** AUTH failed, or would have sent a password without TLS. */
    AUTH
  }

  private final Kind kind;

  public UpstreamException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public UpstreamException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  /**
   * What an I/O failure during {@code what} with {@code where} means: a reply RFC 5321 does not
   * allow, no answer in time, or a dropped connection.
   */
  static UpstreamException duringExchange(String where, String what, IOException e) {
    if (e instanceof ReplyReader.ProtocolException) {
      return new UpstreamException(
          Kind.PROTOCOL, where + " during " + what + ": " + e.getMessage(), e);
    }
    if (e instanceof SocketTimeoutException) {
      return new UpstreamException(Kind.TIMEOUT, where + " did not answer " + what + " in time", e);
    }
    return new UpstreamException(
        Kind.DROPPED, where + " dropped the connection during " + what + ": " + e.getMessage(), e);
  }

  public Kind kind() {
    return kind;
  }

  /** Our reply for this failure: always temporary, so the MTA keeps the mail and tries again. */
  public SmtpReply reply() {
    return switch (kind) {
      // RFC 3463 X.4.1: no answer from host; X.4.2: bad connection.
      case UNREACHABLE, TIMEOUT ->
          SmtpReply.of(451, "4.4.1", "upstream unavailable: " + getMessage());
      case DROPPED -> SmtpReply.of(451, "4.4.2", "upstream connection lost: " + getMessage());
      case PROTOCOL -> SmtpReply.of(451, "4.4.2", "upstream protocol violation: " + getMessage());
      // X.7.5: cryptographic failure; X.7.8: authentication credentials invalid.
      case TLS -> SmtpReply.of(451, "4.7.5", "upstream TLS failed: " + getMessage());
      case AUTH -> SmtpReply.of(451, "4.7.8", "upstream AUTH failed: " + getMessage());
    };
  }
}
