package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.spool.SpoolException;
import org.dkimrelay.relay.spool.SpooledMessage;
import org.dkimrelay.relay.upstream.UpstreamClient;
import org.dkimrelay.relay.upstream.UpstreamException;
import org.dkimrelay.relay.upstream.UpstreamSession;
import org.dkimrelay.relay.wire.MailParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inbound connection. Each command is passed upstream at once (on its {@link UpstreamSession},
 * which keeps upstream's connection and transaction state) and upstream's reply is returned; DATA
 * is received whole, signed, and only then sent upstream, so nothing upstream ever sees a partial
 * message. Once upstream's side of a transaction is lost, the rest of the client's gets 451.
 */
final class RelaySession {
  private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);

  private final RelayContext context;
  private final String id;
  private final InetAddress client;
  private final ClientPace pace;
  private int authFailures;
  private final UpstreamSession upstream;
  private boolean inTransaction; // counted in the context, for a graceful stop

  private String reversePath = "";
  private boolean smtpUtf8;
  private long messageLimit;
  private int recipients;
  private long transactionStart;

  RelaySession(RelayContext context, String id, InetAddress client, ClientPace pace) {
    this.context = context;
    this.id = id;
    this.client = client;
    this.pace = pace;
    this.upstream = new UpstreamSession(context.upstream(), id);
    this.messageLimit = context.maxMessageSize();
  }

  ClientPace pace() {
    return pace;
  }

  /** Counts a failed AUTH; returns how many this session has had. */
  int authFailed() {
    return ++authFailures;
  }

  /** Whether this transaction's MAIL asked for SMTPUTF8, so its paths may be UTF-8. */
  boolean smtpUtf8() {
    return smtpUtf8;
  }

  /**
   * The EHLO keywords to offer: 8BITMIME and SMTPUTF8 only when upstream offers them, since we can
   * neither convert nor sign-then-convert, and upstream's SIZE less room for our fields. Upstream
   * is asked now; if it cannot be reached, the conservative set is offered and MAIL will report the
   * failure.
   */
  List<String> ehloKeywords() {
    List<String> keywords = new ArrayList<>(List.of("PIPELINING"));
    long limit = context.maxMessageSize();
    Optional<UpstreamClient> connected = upstream.atEhlo();
    if (connected.isPresent()) {
      limit = UpstreamSession.messageLimit(limit, connected.get());
      for (String keyword : List.of("8BITMIME", "SMTPUTF8")) {
        if (connected.get().supports(keyword)) {
          keywords.add(keyword);
        }
      }
    }
    keywords.add("SIZE " + limit);
    keywords.add("ENHANCEDSTATUSCODES");
    return keywords;
  }

  /** MAIL FROM, passed on with the parameters upstream supports; upstream's refusal is ours. */
  void mail(String path, MailParameters parameters) throws ReplyException {
    transactionStart = System.nanoTime();
    reversePath = path;
    smtpUtf8 = parameters.smtpUtf8();
    recipients = 0;
    UpstreamClient connected = upstream(upstream::forNewTransaction);
    messageLimit = UpstreamSession.messageLimit(context.maxMessageSize(), connected);
    if (parameters.size() > messageLimit) {
      SmtpReply tooLarge = Replies.messageTooLarge(messageLimit);
      log("refused: SIZE=" + parameters.size(), tooLarge);
      throw new ReplyException(tooLarge);
    }
    SmtpReply reply = upstream(() -> upstream.mail(path, parameters));
    if (!reply.positive()) {
      log("refused at MAIL", reply);
      throw new ReplyException(reply);
    }
    inTransaction = true;
    context.transactionStarted();
  }

  /** RCPT TO, passed on at once: each recipient gets upstream's own reply, 251 included. */
  SmtpReply rcpt(String forwardPath) throws ReplyException {
    refuseIfLost();
    SmtpReply reply = upstream(() -> upstream.rcpt(forwardPath));
    if (!reply.positive()) {
      throw new ReplyException(reply);
    }
    recipients++;
    return reply;
  }

  /** Before 354: a transaction upstream has lost cannot be completed. */
  void refuseIfLost() throws ReplyException {
    if (upstream.lost()) {
      throw new ReplyException(Replies.UPSTREAM_TRANSACTION_LOST);
    }
  }

  /**
   * Receives the message, signs it and sends it upstream.
   *
   * @return upstream's 250 reply, to be ours
   * @throws ReplyException for every refusal (ours or upstream's)
   * @throws IOException when the client went away mid-DATA: nothing was sent upstream
   */
  SmtpReply data(InputStream content) throws ReplyException, IOException {
    MessagePipeline.Message signing = context.pipeline().begin(id);
    SpooledMessage message;
    try {
      message = context.spooler().spool(content, signing.body());
    } catch (SpoolException e) {
      throw refused(signing, signing.refuseSpooled(e, context.maxMessageSize()), -1);
    }
    try (message) {
      if (message.size() > messageLimit) {
        throw refused(signing, signing.refuseTooLarge(messageLimit), message.size());
      }
      if (message.eightBit() && !upstreamSupports8BitMime()) { // refused before it is signed
        throw refused(signing, signing.refuseEightBit(), message.size());
      }
      Verdict verdict = signing.finish(message.header());
      if (verdict instanceof Verdict.Refuse) {
        throw refused(signing, verdict, message.size());
      }
      return send(signing, (Verdict.Send) verdict, message);
    }
  }

  /** Ends a message the pipeline refused: logged and counted there; the refusal is our reply. */
  private ReplyException refused(MessagePipeline.Message signing, Verdict verdict, long size) {
    signing.end(who(), verdict, size, "");
    return new ReplyException(((Verdict.Refuse) verdict).reply());
  }

  /**
   * Sends the message upstream; upstream's reply is ours.
   *
   * @return upstream's 250 reply
   */
  private SmtpReply send(MessagePipeline.Message signing, Verdict.Send send, SpooledMessage message)
      throws ReplyException {
    SmtpReply reply;
    try {
      reply = upstream(() -> upstream.data(out -> writeSigned(out, send, message)));
    } catch (ReplyException e) {
      context.metrics().tempfailed("upstream");
      signing.end(who(), send, message.size(), e.reply().toString(), false);
      throw e;
    }
    context.metrics().upstreamReply(reply.code());
    signing.end(who(), send, message.size(), reply.toString(), reply.positive());
    if (!reply.positive()) {
      throw new ReplyException(reply);
    }
    return reply;
  }

  /** The new fields, then the message as received; upstream dot-stuffs it. */
  private static void writeSigned(OutputStream out, Verdict.Send send, SpooledMessage message)
      throws IOException {
    send.writeFields(out);
    message.writeTo(out);
  }

  private boolean upstreamSupports8BitMime() throws ReplyException {
    refuseIfLost();
    try {
      return upstream.supports("8BITMIME");
    } catch (UpstreamException e) {
      context.metrics().tempfailed("upstream");
      throw new ReplyException(e.reply());
    }
  }

  /** The transaction ended (DATA done, RSET, or refused): an open upstream one is reset. */
  void endTransaction() {
    upstream.endTransaction();
    if (inTransaction) {
      inTransaction = false;
      context.transactionEnded();
    }
    transactionStart = 0;
  }

  /** The client left: say QUIT upstream. */
  void close() {
    endTransaction();
    upstream.close();
  }

  private interface UpstreamCall<T> {
    T run() throws UpstreamException;
  }

  /** Runs one exchange with upstream; its failure is our 4xx reply, logged once. */
  private <T> T upstream(UpstreamCall<T> call) throws ReplyException {
    try {
      return call.run();
    } catch (UpstreamException e) {
      SmtpReply reply = e.reply();
      if (e.kind() == UpstreamException.Kind.PROTOCOL) {
        LOG.warn(line("upstream broke the protocol", reply)); // a bug upstream: worth a look
      } else {
        log("upstream failed", reply);
      }
      throw new ReplyException(reply);
    }
  }

  /** This transaction in the log: session, client, envelope. */
  private String who() {
    return String.format(
        "session=%s client=%s mail=<%s> rcpts=%d",
        id, client.getHostAddress(), reversePath, recipients);
  }

  /** One line for what ends a transaction before DATA: what happened, reply, milliseconds. */
  private void log(String what, SmtpReply reply) {
    if (LOG.isInfoEnabled()) {
      LOG.info(line(what, reply));
    }
  }

  private String line(String what, SmtpReply reply) {
    long millis = transactionStart == 0 ? 0 : (System.nanoTime() - transactionStart) / 1_000_000;
    return String.format("%s %s reply=\"%s\" ms=%d", who(), what, reply, millis);
  }
}
