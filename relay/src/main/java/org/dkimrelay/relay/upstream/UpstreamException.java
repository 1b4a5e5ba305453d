package org.dkimrelay.relay.upstream;

/** Upstream could not be used; {@link Kind} says how, so the caller can pick the reply. */
public final class UpstreamException extends Exception {
  private static final long serialVersionUID = 1L;

  /** How it failed. */
  public enum Kind {
    /** Could not connect, or it refused us at the greeting. */
    UNREACHABLE,
    /** It did not answer in time (RFC 5321 §4.5.3.2). */
    TIMEOUT,
    /** It closed the connection or broke the protocol in the middle of a transaction. */
    DROPPED,
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

  public Kind kind() {
    return kind;
  }
}
