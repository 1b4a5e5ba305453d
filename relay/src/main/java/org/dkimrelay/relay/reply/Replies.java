package org.dkimrelay.relay.reply;

import java.util.ArrayList;
import java.util.List;

/**
 * Every reply dkimrelay gives of its own, whichever front-end gives it (docs/proxy.md, "SMTP
 * replies dkimrelay gives"). The SMTP proxy writes them on the wire, the milter hands them to the
 * MTA as its reply, the OpenSMTPD filter as its filter result.
 */
public final class Replies {
  // RFC 3463 §3.8 X.7.1: delivery not authorized.
  public static final SmtpReply CLIENT_NOT_ALLOWED =
      SmtpReply.of(
          554, "5.7.1", "access denied: this relay takes mail only from its allowed clients");
  // RFC 3463 §3.4 X.3.2: system not accepting network messages.
  public static final SmtpReply TOO_MANY_SESSIONS =
      SmtpReply.of(421, "4.3.2", "too many sessions, try again later");
  // RFC 3463 §3.5 X.4.2: bad connection.
  public static final SmtpReply CLIENT_TOO_SLOW =
      SmtpReply.of(421, "4.4.2", "timeout: closing the connection");
  public static final SmtpReply SHUTTING_DOWN =
      SmtpReply.of(421, "4.3.2", "shutting down, try again later");
  // RFC 6152 §3 / RFC 3463 X.6.3: conversion required but not supported. Signed content cannot be
  // converted to 7 bit afterwards without breaking the signature.
  public static final SmtpReply EIGHT_BIT_REFUSED =
      SmtpReply.of(
          554,
          "5.6.3",
          "8-bit message but upstream has no 8BITMIME; it cannot be converted after signing");
  // RFC 5321 452 / RFC 3463 §3.4 X.3.1: mail system full. Temporary: the MTA retries.
  public static final SmtpReply NO_SPOOL_SPACE =
      SmtpReply.of(452, "4.3.1", "insufficient spool space: message kept for retry");
  // X.3.1 too: every message in progress together holds the memory they may take (hostile peers
  // sending large headers at once, say). Temporary: the MTA keeps the message and retries.
  public static final SmtpReply MEMORY_BUDGET_FULL =
      SmtpReply.of(452, "4.3.1", "too much mail in progress at once: message kept for retry");
  public static final SmtpReply BDAT_NOT_SUPPORTED =
      SmtpReply.of(502, "5.5.1", "BDAT not supported: use DATA");
  // X.3.0: other or undefined mail system status. Temporary: the MTA keeps the mail and retries.
  public static final SmtpReply SIGNING_FAILED =
      SmtpReply.of(451, "4.3.0", "signing failed: message kept for retry, not sent unsigned");
  public static final SmtpReply INTERNAL_ERROR =
      SmtpReply.of(451, "4.3.0", "internal error: message kept for retry");

  // RFC 5321 §4.3.2 command sequence and syntax replies, with RFC 3463 X.5.x codes.
  public static final SmtpReply NEED_MAIL = SmtpReply.of(503, "5.5.1", "Error: need MAIL command");
  public static final SmtpReply NEED_RCPT = SmtpReply.of(503, "5.5.1", "Error: need RCPT command");
  public static final SmtpReply SENDER_ALREADY_SPECIFIED =
      SmtpReply.of(503, "5.5.1", "Sender already specified");
  public static final SmtpReply MAIL_SYNTAX =
      SmtpReply.of(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
  public static final SmtpReply EHLO_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: EHLO hostname");
  public static final SmtpReply RCPT_SYNTAX =
      SmtpReply.of(501, "5.5.4", "Syntax: RCPT TO:<address>");
  public static final SmtpReply SENDER_OK = SmtpReply.of(250, "2.1.0", "Ok");
  // RFC 3463 §3.2 X.1.7 bad sender's mailbox address syntax, X.1.3 bad destination syntax.
  public static final SmtpReply SENDER_SYNTAX =
      SmtpReply.of(501, "5.1.7", "bad sender address syntax");
  public static final SmtpReply RECIPIENT_SYNTAX =
      SmtpReply.of(501, "5.1.3", "bad recipient address syntax");
  // RFC 6531 §3.5: a non-ASCII address in a transaction without SMTPUTF8.
  public static final SmtpReply NON_ASCII_ADDRESS =
      SmtpReply.of(553, "5.6.7", "non-ASCII address needs MAIL FROM with SMTPUTF8");
  // RFC 5321 §4.5.3.1.8 / RFC 3463 X.5.3: too many recipients.
  public static final SmtpReply TOO_MANY_RECIPIENTS =
      SmtpReply.of(452, "4.5.3", "too many recipients");
  // X.4.2 bad connection: upstream's side of this transaction was lost (421, closed, timed out or
  // broke the protocol); the rest of it cannot be carried on another connection.
  public static final SmtpReply UPSTREAM_TRANSACTION_LOST =
      SmtpReply.of(
          451, "4.4.2", "upstream connection lost earlier in this transaction: send it again");
  // RFC 3207 §4 and RFC 4954 §6.
  public static final SmtpReply AUTHENTICATION_REQUIRED =
      SmtpReply.of(530, "5.7.0", "Authentication required");
  public static final SmtpReply STARTTLS_FIRST =
      SmtpReply.of(530, "5.7.0", "Must issue a STARTTLS command first");
  public static final SmtpReply ENCRYPTION_REQUIRED =
      SmtpReply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");

  private Replies() {}

  // RFC 5321 §4.1.1.11: 555 for MAIL/RCPT parameters not recognized or not implemented.
  public static final SmtpReply START_MAIL_INPUT =
      SmtpReply.of(ReplyCode.START_MAIL_INPUT, "", "End data with <CR><LF>.<CR><LF>");

  /** EHLO's reply (RFC 5321 §4.1.1.1): our name, then one extension keyword a line. */
  public static SmtpReply ehlo(String hostName, List<String> keywords) {
    List<String> lines = new ArrayList<>();
    lines.add(hostName);
    lines.addAll(keywords);
    return new SmtpReply(ReplyCode.OK, "", lines);
  }

  public static SmtpReply parameterRefused(String reason) {
    return SmtpReply.of(555, "5.5.4", reason);
  }

  // RFC 3463 §3.4 X.3.4: message too big for system.
  public static SmtpReply messageTooLarge(long limit) {
    return SmtpReply.of(552, "5.3.4", "message exceeds the size limit of " + limit + " bytes");
  }

  // X.6.0: other or undefined media error.
  public static SmtpReply malformed(String reason) {
    return SmtpReply.of(550, "5.6.0", "cannot sign this message: " + reason);
  }

  // X.7.1: delivery not authorized (signing.unknown-domain = "reject").
  public static SmtpReply unknownDomain(String reason) {
    return SmtpReply.of(550, "5.7.1", "not signing for this sender: " + reason);
  }

  // X.7.1: delivery not authorized; the login may not sign for the From: domain (RFC 3463 §3.8).
  public static SmtpReply loginMismatch(String reason) {
    return SmtpReply.of(550, "5.7.1", "not signing for this sender: " + reason);
  }
}
