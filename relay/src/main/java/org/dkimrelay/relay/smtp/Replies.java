package org.dkimrelay.relay.smtp;

import org.dkimrelay.relay.upstream.SmtpReply;
import org.dkimrelay.relay.upstream.UpstreamException;

/** Every reply dkimrelay gives of its own (DESIGN.md, "SMTP replies dkimrelay itself gives"). */
final class Replies {
  // RFC 3463 §3.8 X.7.1: delivery not authorized.
  static final SmtpReply CLIENT_NOT_ALLOWED =
      SmtpReply.of(
          554, "5.7.1", "access denied: this relay takes mail only from its allowed clients");
  // RFC 3463 §3.4 X.3.2: system not accepting network messages.
  static final SmtpReply TOO_MANY_SESSIONS =
      SmtpReply.of(421, "4.3.2", "too many sessions, try again later");
  // RFC 3463 §3.5 X.4.2: bad connection.
  static final SmtpReply CLIENT_TOO_SLOW =
      SmtpReply.of(421, "4.4.2", "timeout: closing the connection");
  static final SmtpReply SHUTTING_DOWN =
      SmtpReply.of(421, "4.3.2", "shutting down, try again later");
  // RFC 6152 §3 / RFC 3463 X.6.3: conversion required but not supported. Signed content cannot be
  // converted to 7 bit afterwards without breaking the signature.
  static final SmtpReply EIGHT_BIT_REFUSED =
      SmtpReply.of(
          554,
          "5.6.3",
          "8-bit message but upstream has no 8BITMIME; it cannot be converted after signing");
  // RFC 5321 452 / RFC 3463 §3.4 X.3.1: mail system full. Temporary: the MTA retries.
  static final SmtpReply NO_SPOOL_SPACE =
      SmtpReply.of(452, "4.3.1", "insufficient spool space: message kept for retry");
  static final SmtpReply BDAT_NOT_SUPPORTED =
      SmtpReply.of(502, "5.5.1", "BDAT not supported: use DATA");

  private Replies() {}

  // RFC 3463 §3.4 X.3.4: message too big for system.
  static SmtpReply messageTooLarge(long limit) {
    return SmtpReply.of(552, "5.3.4", "message exceeds the size limit of " + limit + " bytes");
  }

  // X.3.0: other or undefined mail system status. Temporary: the MTA keeps the mail and retries.
  static SmtpReply signingFailed() {
    return SmtpReply.of(451, "4.3.0", "signing failed: message kept for retry, not sent unsigned");
  }

  // X.6.0: other or undefined media error.
  static SmtpReply malformed(String reason) {
    return SmtpReply.of(550, "5.6.0", "cannot sign this message: " + reason);
  }

  static SmtpReply unknownDomain(String reason) {
    return SmtpReply.of(550, "5.7.1", "not signing for this sender: " + reason);
  }

  static SmtpReply internalError() {
    return SmtpReply.of(451, "4.3.0", "internal error: message kept for retry");
  }

  /** Upstream failures are always temporary: the MTA keeps the mail queued and tries again. */
  static SmtpReply upstreamFailed(UpstreamException e) {
    return switch (e.kind()) {
      // X.4.1: no answer from host; X.4.2: bad connection.
      case UNREACHABLE, TIMEOUT ->
          SmtpReply.of(451, "4.4.1", "upstream unavailable: " + e.getMessage());
      case DROPPED -> SmtpReply.of(451, "4.4.2", "upstream connection lost: " + e.getMessage());
      // X.7.5: cryptographic failure; X.7.8: authentication credentials invalid.
      case TLS -> SmtpReply.of(451, "4.7.5", "upstream TLS failed: " + e.getMessage());
      case AUTH -> SmtpReply.of(451, "4.7.8", "upstream AUTH failed: " + e.getMessage());
    };
  }
}
