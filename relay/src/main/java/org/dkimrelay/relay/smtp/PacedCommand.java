package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.net.SocketTimeoutException;
import org.dkimrelay.relay.reply.Replies;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.CommandException;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.Session;

/**
 * Wraps every command so the session's {@link ClientPace} knows when the client is waiting for us
 * (the command runs) and when we are waiting for the client (after the reply), and so a client
 * timing out gets our 421 with its enhanced code.
 */
final class PacedCommand implements Command {
  private final Command command;
  private final SessionRegistry sessions;

  PacedCommand(Command command, SessionRegistry sessions) {
    this.command = command;
    this.sessions = sessions;
  }

  @Override
  public void execute(String commandString, Session session)
      throws IOException, DropConnectionException {
    ClientPace pace = sessions.of(session).pace();
    pace.serving();
    try {
      command.execute(commandString, session);
    } catch (SocketTimeoutException e) {
      // The socket's own timeout, in DATA: our reply, not SubEthaSMTP's bare "421 Timeout ...".
      throw new DropConnectionException(
          Replies.CLIENT_TOO_SLOW.code(),
          Replies.CLIENT_TOO_SLOW.enhanced() + " " + Replies.CLIENT_TOO_SLOW.lines().get(0));
    } finally {
      pace.awaitingCommand(System.nanoTime());
    }
  }

  @Override
  public HelpMessage getHelp() throws CommandException {
    return command.getHelp();
  }

  @Override
  public String getName() {
    return command.getName();
  }
}
