package org.dkimrelay.relay.smtp;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.wire.DataReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.server.Session;

/**
 * DATA with the content read by {@link DataReader}, and the transaction always reset afterwards:
 * SubEthaSMTP's DATA leaves it open after a rejection (the next MAIL would get 503) and does not
 * unstuff a dot on the first line.
 */
final class RelayDataCommand extends BaseCommand {
  private static final Logger LOG = LoggerFactory.getLogger(RelayDataCommand.class);

  private final SessionRegistry sessions;

  RelayDataCommand(SessionRegistry sessions) {
    super("DATA", "Following text is collected as the message.\nEnd data with <CR><LF>.<CR><LF>");
    this.sessions = sessions;
  }

  @Override
  public void execute(String commandString, Session session) throws IOException {
    if (!session.isMailTransactionInProgress()) {
      session.sendResponse(Replies.NEED_MAIL.wire());
      return;
    }
    if (session.getRecipientCount() == 0) {
      session.sendResponse(Replies.NEED_RCPT.wire());
      return;
    }
    try {
      sessions.of(session).refuseIfLost();
    } catch (ReplyException e) {
      session.sendResponse(e.getErrorResponse());
      session.resetMailTransaction();
      return;
    }
    session.sendResponse(Replies.START_MAIL_INPUT.wire());
    DataReader content = new DataReader(session.getRawInput());
    ClientPace pace = sessions.of(session).pace();
    pace.dataStarted(System.nanoTime());
    String response;
    try {
      // upstream's reply, as a value to the wire (not through SubEthaSMTP's String handler)
      response = sessions.of(session).data(new PacedInput(content, pace)).wire();
    } catch (RejectException e) {
      response = e.getErrorResponse();
    } catch (RuntimeException e) {
      LOG.error("session={} internal error in DATA", session.getSessionId(), e);
      response = Replies.INTERNAL_ERROR.wire();
    }
    content.drain(); // whatever was not read yet: the session must stay in step
    session.sendResponse(response);
    session.resetMailTransaction();
  }

  /** Tells the pace how much of the message arrived, and when all of it has. */
  private static final class PacedInput extends FilterInputStream {
    private final ClientPace pace;

    PacedInput(InputStream in, ClientPace pace) {
      super(in);
      this.pace = pace;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int read = in.read(buffer, offset, length);
      if (read < 0) {
        pace.serving(); // the final dot: from here on the client waits for us
      } else {
        pace.dataReceived(read);
      }
      return read;
    }
  }
}
