package org.dkimrelay.relay.smtp;

import org.dkimrelay.relay.reply.SmtpReply;
import org.subethamail.smtp.RejectException;

/** A rejection carrying a whole reply, multi-line and enhanced code included, thrown once. */
final class ReplyException extends RejectException {
  private static final long serialVersionUID = 1L;
  private final transient SmtpReply reply;

  ReplyException(SmtpReply reply) {
    super(reply.code(), String.join(" ", reply.lines()));
    this.reply = reply;
  }

  SmtpReply reply() {
    return reply;
  }

  @Override
  public String getErrorResponse() {
    return reply.wire();
  }
}
