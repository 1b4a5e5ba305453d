package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.io.InputStream;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;

/**
 * SubEthaSMTP's view of one transaction: {@code from} → {@code recipient}* → {@code data} → {@code
 * done}, each handed to the session. MAIL is handled by {@link RelayMailCommand} itself, which
 * needs the parameters SubEthaSMTP does not pass here.
 */
final class RelayMessageHandler implements MessageHandler {
  private final RelaySession session;

  RelayMessageHandler(RelaySession session) {
    this.session = session;
  }

  @Override
  public void from(String from) {
    // already passed upstream by RelayMailCommand, with its parameters
  }

  @Override
  public void recipient(String recipient) throws RejectException {
    session.rcpt(recipient);
  }

  @Override
  public String data(InputStream data) throws RejectException, IOException {
    return session.data(data);
  }

  @Override
  public void done() {
    session.endTransaction();
  }
}
