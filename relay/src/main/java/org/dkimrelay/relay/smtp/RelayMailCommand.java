package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.wire.MailParameters;
import org.dkimrelay.relay.wire.MailPath;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/**
 * MAIL FROM, parsed here because SubEthaSMTP's command drops the parameters (SIZE, BODY, SMTPUTF8)
 * that upstream must see, and checked (RFC 5321 §4.1.2) before it is passed upstream; upstream's
 * refusal is ours. The SIZE parameter is checked by the session, against upstream's limit too.
 */
final class RelayMailCommand extends BaseCommand {
  // RFC 5321 §4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters]; a space after the colon is
  // tolerated, as most servers do.
  private static final Pattern MAIL = Pattern.compile("(?i)MAIL FROM: ?<([^<>]*)>(?: +(.*))?");

  private final SessionRegistry sessions;
  private final InboundSecurity security;

  RelayMailCommand(SessionRegistry sessions, InboundSecurity security) {
    super("MAIL", "Specifies the sender.", "FROM: <sender> [ <parameters> ]");
    this.sessions = sessions;
    this.security = security;
  }

  @Override
  public void execute(String commandString, Session session) throws IOException {
    Optional<String> refusal = security.refuseMail(session);
    if (refusal.isPresent()) {
      session.sendResponse(refusal.get());
      return;
    }
    if (session.isMailTransactionInProgress()) {
      session.sendResponse(Replies.SENDER_ALREADY_SPECIFIED.wire());
      return;
    }
    Matcher matcher = MAIL.matcher(commandString.trim());
    if (!matcher.matches()) {
      session.sendResponse(Replies.MAIL_SYNTAX.wire());
      return;
    }
    MailParameters parameters;
    try {
      parameters = parameters(matcher.group(2));
    } catch (IllegalArgumentException e) {
      session.sendResponse(Replies.parameterRefused(e.getMessage()).wire());
      return;
    }
    Optional<MailPath.Problem> problem =
        MailPath.checkReversePath(matcher.group(1), parameters.smtpUtf8());
    if (problem.isPresent()) {
      session.sendResponse(problem.get().reply(Replies.SENDER_SYNTAX).wire());
      return;
    }
    session.startMailTransaction();
    try {
      sessions.of(session).mail(matcher.group(1), parameters);
    } catch (ReplyException e) {
      session.resetMailTransaction();
      session.sendResponse(e.getErrorResponse());
      return;
    }
    session.sendResponse(Replies.SENDER_OK.wire());
  }

  private static MailParameters parameters(String text) {
    long size = 0;
    boolean eightBit = false;
    boolean utf8 = false;
    if (text != null) {
      for (String parameter : text.trim().split(" +")) {
        String upper = parameter.toUpperCase(Locale.ROOT);
        if (upper.startsWith("SIZE=") && upper.substring(5).matches("\\d{1,18}")) {
          size = Long.parseLong(upper.substring(5));
        } else if (upper.equals("BODY=8BITMIME")) {
          eightBit = true;
        } else if (upper.equals("BODY=7BIT")) {
          eightBit = false;
        } else if (upper.equals("SMTPUTF8")) {
          utf8 = true;
        } else if (!upper.isEmpty()) {
          throw new IllegalArgumentException("unsupported MAIL parameter " + parameter);
        }
      }
    }
    return new MailParameters(size, eightBit, utf8);
  }
}
