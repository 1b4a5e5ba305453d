package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.reply.Replies;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/**
 * EHLO with our own keywords: SubEthaSMTP's always offers 8BITMIME, SMTPUTF8 and CHUNKING, which we
 * can only keep when upstream has them (and CHUNKING not at all).
 */
final class RelayEhloCommand extends BaseCommand {
  private final SessionRegistry sessions;
  private final InboundSecurity security;

  RelayEhloCommand(SessionRegistry sessions, InboundSecurity security) {
    super("EHLO", "Introduce yourself.", "<hostname>");
    this.sessions = sessions;
    this.security = security;
  }

  @Override
  public void execute(String commandString, Session session) throws IOException {
    String[] args = getArgs(commandString);
    if (args.length < 2) {
      session.sendResponse(Replies.EHLO_SYNTAX.wire());
      return;
    }
    session.resetMailTransaction();
    session.setHelo(args[1]);
    List<String> keywords = new ArrayList<>(sessions.of(session).ehloKeywords());
    keywords.addAll(security.ehloKeywords(session));
    session.sendResponse(Replies.ehlo(session.getServer().getHostName(), keywords).wire());
  }
}
