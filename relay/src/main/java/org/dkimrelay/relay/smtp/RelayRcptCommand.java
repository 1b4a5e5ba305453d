package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.wire.MailPath;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/**
 * RCPT TO, ours because SubEthaSMTP's takes whatever sits between the first {@code <} and {@code >}
 * (so {@code <b@exa>mple.org>} became {@code b@exa}) and answers every success with its own {@code
 * 250 Ok}. The path is checked (RFC 5321 §4.1.2), passed upstream at once, and upstream's reply,
 * 251 included, is the client's.
 */
final class RelayRcptCommand extends BaseCommand {
  // RFC 5321 §4.1.1.3: "RCPT TO:" Forward-path [SP Rcpt-parameters]; a space after the colon is
  // tolerated, as for MAIL.
  private static final Pattern RCPT = Pattern.compile("(?i)RCPT TO: ?<([^<>]*)>(?: +(.*))?");

  private final SessionRegistry sessions;

  RelayRcptCommand(SessionRegistry sessions) {
    super("RCPT", "Specifies the recipient. Can be used any number of times.", "TO: <recipient>");
    this.sessions = sessions;
  }

  @Override
  public void execute(String commandString, Session session) throws IOException {
    if (!session.isMailTransactionInProgress()) {
      session.sendResponse(Replies.NEED_MAIL.wire());
      return;
    }
    int maxRecipients = session.getServer().getMaxRecipients();
    if (maxRecipients >= 0 && session.getRecipientCount() >= maxRecipients) {
      session.sendResponse(Replies.TOO_MANY_RECIPIENTS.wire());
      return;
    }
    Matcher matcher = RCPT.matcher(commandString.trim());
    if (!matcher.matches()) {
      session.sendResponse(Replies.RCPT_SYNTAX.wire());
      return;
    }
    if (matcher.group(2) != null) {
      // No RCPT extension (DSN's NOTIFY and ORCPT) is advertised.
      session.sendResponse(
          Replies.parameterRefused("unsupported RCPT parameter " + matcher.group(2)).wire());
      return;
    }
    String path = matcher.group(1);
    RelaySession relay = sessions.of(session);
    Optional<MailPath.Problem> problem = MailPath.checkForwardPath(path, relay.smtpUtf8());
    if (problem.isPresent()) {
      session.sendResponse(problem.get().reply(Replies.RECIPIENT_SYNTAX).wire());
      return;
    }
    try {
      SmtpReply reply = relay.rcpt(path);
      session.addRecipient(path);
      session.sendResponse(reply.wire());
    } catch (ReplyException e) {
      session.sendResponse(e.getErrorResponse());
    }
  }
}
