package org.dkimrelay.relay.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.relay.reply.Replies;
import org.subethamail.smtp.server.Session;

/**
 * What a client must do before it may send mail: STARTTLS when it is offered and AUTH is required,
 * and AUTH (offered only inside TLS, so no password crosses the network in clear).
 */
record InboundSecurity(boolean startTls, boolean authRequired) {

  /** The EHLO keywords for this state of the session. */
  List<String> ehloKeywords(Session session) {
    List<String> keywords = new ArrayList<>();
    if (startTls && !session.isTLSStarted()) {
      keywords.add("STARTTLS");
    }
    if (authRequired && session.isTLSStarted()) {
      keywords.add("AUTH PLAIN LOGIN");
    }
    return keywords;
  }

  /** The refusal of MAIL, when the session is not yet allowed to send. */
  Optional<String> refuseMail(Session session) {
    if (!authRequired || session.isAuthenticated()) {
      return Optional.empty();
    }
    // RFC 3207 §4 and RFC 4954 §6.
    return Optional.of(
        session.isTLSStarted()
            ? Replies.AUTHENTICATION_REQUIRED.wire()
            : Replies.STARTTLS_FIRST.wire());
  }
}
