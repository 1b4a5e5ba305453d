package org.dkimrelay.relay.smtp;

import java.io.InputStream;
import org.subethamail.smtp.MessageHandler;

/**
 * SubEthaSMTP's view of one transaction: {@code from} → {@code recipient}* → {@code data} → {@code
 * done}. MAIL, RCPT and DATA are handled by {@link RelayMailCommand}, {@link RelayRcptCommand} and
 * {@link RelayDataCommand} themselves, which pass upstream's replies on as values; only the end of
 * the transaction comes through here.
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

  /** Never called: {@link RelayDataCommand} replaces SubEthaSMTP's DATA and asks the session. */
  @Override
  public String data(InputStream data) {
    throw new UnsupportedOperationException("DATA is handled by RelayDataCommand");
  }

  @Override
  public void done() {
    session.endTransaction();
  }
}
