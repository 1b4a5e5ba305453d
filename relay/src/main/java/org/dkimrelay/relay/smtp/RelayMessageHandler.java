package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.io.InputStream;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;

/**
 * SubEthaSMTP's view of one transaction: {@code from} → {@code recipient}* → {@code data} → {@code
 * done}, each handed to the session. MAIL and RCPT are handled by {@link RelayMailCommand} and
 * {@link RelayRcptCommand} themselves, which check the paths and pass upstream's replies on.
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
  public void recipient(String recipient) {
    // passed upstream by RelayRcptCommand, which gives the client upstream's own reply
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
