package org.dkimrelay.relay.smtp;

import java.io.IOException;
import org.dkimrelay.relay.reply.SmtpReply;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/** A verb SubEthaSMTP knows but we do not offer (BDAT: we do not advertise CHUNKING). */
final class UnsupportedCommand extends BaseCommand {
  private final SmtpReply reply;

  UnsupportedCommand(String verb, SmtpReply reply) {
    super(verb, "Not supported.");
    this.reply = reply;
  }

  @Override
  public void execute(String commandString, Session session) throws IOException {
    session.sendResponse(reply.wire());
  }
}
