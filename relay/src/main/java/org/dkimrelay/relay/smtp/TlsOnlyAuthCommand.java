package org.dkimrelay.relay.smtp;

import java.io.IOException;
import org.dkimrelay.relay.reply.Replies;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.CommandException;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.Session;

/**
 * SubEthaSMTP's AUTH, allowed only inside TLS (it would take a password in clear), and ending the
 * session after {@value #MAX_FAILURES} failed attempts so passwords cannot be guessed at the speed
 * of a connection.
 */
final class TlsOnlyAuthCommand implements Command {
  static final int MAX_FAILURES = 3;

  private final Command auth;
  private final SessionRegistry sessions;
  private final InboundSecurity security;

  TlsOnlyAuthCommand(Command auth, SessionRegistry sessions, InboundSecurity security) {
    this.auth = auth;
    this.sessions = sessions;
    this.security = security;
  }

  @Override
  public void execute(String commandString, Session session)
      throws IOException, DropConnectionException {
    if (security.authRequired() && !session.isTLSStarted()) {
      session.sendResponse(Replies.ENCRYPTION_REQUIRED.wire());
      return;
    }
    auth.execute(commandString, session);
    if (security.authRequired()
        && !session.isAuthenticated()
        && sessions.of(session).authFailed() >= MAX_FAILURES) {
      throw new DropConnectionException(421, "4.7.0 too many failed AUTH attempts");
    }
  }

  @Override
  public HelpMessage getHelp() throws CommandException {
    return auth.getHelp();
  }

  @Override
  public String getName() {
    return auth.getName();
  }
}
