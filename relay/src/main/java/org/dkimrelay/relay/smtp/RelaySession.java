package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.dkim.SigningEngine.Outcome;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.spool.SpoolException;
import org.dkimrelay.relay.spool.SpooledMessage;
import org.dkimrelay.relay.upstream.MailParameters;
import org.dkimrelay.relay.upstream.UpstreamClient;
import org.dkimrelay.relay.upstream.UpstreamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inbound connection and its upstream connection, opened at the first EHLO or MAIL and reused
 * for every transaction of the session. Each command is passed on at once and upstream's reply is
 * returned; DATA is received whole, signed, and only then sent upstream, so nothing upstream ever
 * sees a partial message. Once upstream's side of a transaction is gone (421, a dropped connection,
 * a timeout, a protocol violation) the rest of the client's transaction gets 451: a new upstream
 * connection is only ever used for a new MAIL, since continuing on one would deliver to some
 * recipients what the client was told was accepted for all.
 */
final class RelaySession {
  private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);
  // Room for what we add under upstream's SIZE: two DKIM-Signature fields (RSA-4096 and Ed25519,
  // folded, with a long h= list) take under 3 KB.
  static final long SIGNATURE_ROOM = 4096;

  /** Where upstream's side of the client's transaction stands. */
  private enum UpstreamTransaction {
    NONE,
    OPEN,
    LOST
  }

  private final RelayContext context;
  private final String id;
  private final InetAddress client;
  private final ClientPace pace;
  private int authFailures;
  private UpstreamClient upstream;
  private boolean upstreamUsed; // a MAIL went over this connection already
  private UpstreamException unreachableAtEhlo; // answered at MAIL without waiting a second time
  private UpstreamTransaction transaction = UpstreamTransaction.NONE;
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
    try {
      UpstreamClient connected = unreachableAtEhlo == null ? connected() : null;
      if (connected != null) {
        limit = messageLimit(connected);
        if (connected.supports("8BITMIME")) {
          keywords.add("8BITMIME");
        }
        if (connected.supports("SMTPUTF8")) {
          keywords.add("SMTPUTF8");
        }
      }
    } catch (UpstreamException e) {
      unreachableAtEhlo = e;
      LOG.warn("session={} {}", id, e.getMessage());
    }
    keywords.add("SIZE " + limit);
    keywords.add("ENHANCEDSTATUSCODES");
    return keywords;
  }

  /** RFC 1870: ours, or upstream's less room for the signatures, whichever is smaller. */
  private long messageLimit(UpstreamClient connected) {
    long ours = context.maxMessageSize();
    return connected.sizeLimit().stream()
        .map(theirs -> Math.max(1, Math.min(ours, theirs - SIGNATURE_ROOM)))
        .findFirst()
        .orElse(ours);
  }

  /** MAIL FROM, passed on with the parameters upstream supports; upstream's refusal is ours. */
  void mail(String path, MailParameters parameters) throws ReplyException {
    transactionStart = System.nanoTime();
    reversePath = path;
    smtpUtf8 = parameters.smtpUtf8();
    recipients = 0;
    UpstreamClient connected = forNewTransaction();
    messageLimit = messageLimit(connected);
    if (parameters.size() > messageLimit) {
      SmtpReply tooLarge = Replies.messageTooLarge(messageLimit);
      log("refused: SIZE=" + parameters.size(), tooLarge);
      throw new ReplyException(tooLarge);
    }
    SmtpReply reply = upstream(() -> sendMail(path, parameters));
    if (!reply.positive()) {
      log("refused at MAIL", reply);
      throw new ReplyException(reply);
    }
    transaction = UpstreamTransaction.OPEN;
    inTransaction = true;
    context.transactionStarted();
  }

  /** The connection a new transaction starts on: the cached one while upstream holds it. */
  private UpstreamClient forNewTransaction() throws ReplyException {
    try {
      if (unreachableAtEhlo != null) {
        throw unreachableAtEhlo; // found at EHLO moments ago: not waited for a second time
      }
      if (upstream != null && upstream.usable() && upstream.spokeUnasked()) {
        LOG.info("session={} upstream closed the idle connection; opening a new one", id);
        upstream.close();
      }
      return connected();
    } catch (UpstreamException e) {
      unreachableAtEhlo = null;
      SmtpReply reply = e.reply();
      log("upstream failed", reply);
      throw new ReplyException(reply);
    }
  }

  /**
   * MAIL upstream. A connection that carried earlier transactions may have been closed by upstream
   * while idle (its smtpd_timeout): that shows only now, and MAIL is tried once on a new one.
   */
  private SmtpReply sendMail(String path, MailParameters parameters) throws UpstreamException {
    boolean reused = upstreamUsed;
    upstreamUsed = true;
    try {
      return upstream.mail(path, parameters);
    } catch (UpstreamException e) {
      if (!reused || e.kind() != UpstreamException.Kind.DROPPED) {
        throw e;
      }
      LOG.info("session={} {}; opening a new connection", id, e.getMessage());
      return connected().mail(path, parameters);
    }
  }

  /** RCPT TO, passed on at once: each recipient gets upstream's own reply, 251 included. */
  SmtpReply rcpt(String forwardPath) throws ReplyException {
    refuseIfLost();
    SmtpReply reply = upstream(() -> inTransaction().rcpt(forwardPath));
    if (!reply.positive()) {
      throw new ReplyException(reply);
    }
    recipients++;
    return reply;
  }

  /** Before 354: a transaction upstream has lost cannot be completed. */
  void refuseIfLost() throws ReplyException {
    if (transaction == UpstreamTransaction.LOST) {
      throw new ReplyException(Replies.UPSTREAM_TRANSACTION_LOST);
    }
  }

  /**
   * Receives the message, signs it and sends it upstream.
   *
   * @return the text of upstream's 250 reply, to be ours
   * @throws ReplyException for every refusal (ours or upstream's)
   * @throws IOException when the client went away mid-DATA: nothing was sent upstream
   */
  String data(InputStream content) throws ReplyException, IOException {
    MessagePipeline.Message signing = context.pipeline().begin(id);
    SpooledMessage message;
    try {
      message = context.spooler().spool(content, signing.body());
    } catch (SpoolException e) {
      SmtpReply reply = context.pipeline().refusedBySpool(e, context.maxMessageSize(), id);
      log((reply.code() >= 500 ? "refused: " : "deferred: ") + e.getMessage(), reply);
      throw new ReplyException(reply);
    }
    try (message) {
      if (message.size() > messageLimit) {
        SmtpReply tooLarge = Replies.messageTooLarge(messageLimit);
        log("refused: size=" + message.size(), tooLarge);
        throw new ReplyException(tooLarge);
      }
      return signAndSend(signing, message);
    }
  }

  private String signAndSend(MessagePipeline.Message signing, SpooledMessage message)
      throws ReplyException {
    long received = System.nanoTime();
    Verdict verdict = signing.finish(message.header());
    String what = verdict.description() + " size=" + message.size();
    if (verdict instanceof Verdict.Refuse refuse) {
      if (verdict.outcome() instanceof Outcome.Failed) {
        LOG.error("session={} {}", id, what);
      }
      log(what, refuse.reply());
      throw new ReplyException(refuse.reply());
    }
    Verdict.Send send = (Verdict.Send) verdict;
    if (message.eightBit() && !upstreamSupports8BitMime()) {
      context.metrics().refused("8bit");
      log("refused: 8-bit content", Replies.EIGHT_BIT_REFUSED);
      throw new ReplyException(Replies.EIGHT_BIT_REFUSED);
    }
    SmtpReply reply = send(send, message);
    transaction = UpstreamTransaction.NONE; // after the final reply upstream's is over
    log(what, reply);
    context.metrics().upstreamReply(reply.code());
    context
        .pipeline()
        .delivered(
            send, reply.positive(), message.size(), Duration.ofNanos(System.nanoTime() - received));
    if (!reply.positive()) {
      throw new ReplyException(reply);
    }
    return reply.enhanced().isEmpty()
        ? String.join(" ", reply.lines())
        : reply.enhanced() + " " + String.join(" ", reply.lines());
  }

  /** The new fields, then the message as received; upstream dot-stuffs it. */
  private SmtpReply send(Verdict.Send send, SpooledMessage message) throws ReplyException {
    try {
      return upstream(
          () ->
              inTransaction()
                  .data(
                      out -> {
                        send.writeFields(out);
                        message.writeTo(out);
                      }));
    } catch (ReplyException e) {
      context.metrics().tempfailed("upstream");
      throw e;
    }
  }

  private boolean upstreamSupports8BitMime() throws ReplyException {
    refuseIfLost();
    try {
      return inTransaction().supports("8BITMIME");
    } catch (UpstreamException e) {
      context.metrics().tempfailed("upstream");
      throw new ReplyException(e.reply());
    }
  }

  /** The transaction ended (DATA done, RSET, or refused): an open upstream one is reset. */
  void endTransaction() {
    if (transaction == UpstreamTransaction.OPEN && upstream != null && upstream.usable()) {
      try {
        if (!upstream.rset().positive()) {
          upstream.close(); // upstream's state is unknown: not for the next transaction
        }
      } catch (UpstreamException e) {
        LOG.info("session={} RSET upstream failed: {}", id, e.getMessage());
      }
    }
    transaction = UpstreamTransaction.NONE;
    if (inTransaction) {
      inTransaction = false;
      context.transactionEnded();
    }
    transactionStart = 0;
  }

  /** The client left: say QUIT upstream. */
  void close() {
    endTransaction();
    if (upstream != null) {
      upstream.quit();
      upstream = null;
    }
  }

  private UpstreamClient connected() throws UpstreamException {
    if (upstream == null || !upstream.usable()) {
      upstream = UpstreamClient.connect(context.upstream());
      upstreamUsed = false;
    }
    return upstream;
  }

  /** The connection the open transaction runs on; never a new one. */
  private UpstreamClient inTransaction() throws UpstreamException {
    if (transaction != UpstreamTransaction.OPEN || upstream == null || !upstream.usable()) {
      throw new UpstreamException(
          UpstreamException.Kind.DROPPED, "upstream's side of this transaction is gone");
    }
    return upstream;
  }

  private interface UpstreamCall {
    SmtpReply run() throws UpstreamException;
  }

  /** Runs one exchange with upstream; a failure loses upstream's side of an open transaction. */
  private SmtpReply upstream(UpstreamCall call) throws ReplyException {
    try {
      return call.run();
    } catch (UpstreamException e) {
      if (transaction == UpstreamTransaction.OPEN) {
        transaction = UpstreamTransaction.LOST;
      }
      SmtpReply reply = e.reply();
      if (e.kind() == UpstreamException.Kind.PROTOCOL) {
        LOG.warn(line("upstream broke the protocol", reply)); // a bug upstream: worth a look
      } else {
        log("upstream failed", reply);
      }
      throw new ReplyException(reply);
    }
  }

  /** One line per transaction (STYLE.md): session, client, what happened, reply, milliseconds. */
  private void log(String what, SmtpReply reply) {
    if (LOG.isInfoEnabled()) {
      LOG.info(line(what, reply));
    }
  }

  private String line(String what, SmtpReply reply) {
    long millis = transactionStart == 0 ? 0 : (System.nanoTime() - transactionStart) / 1_000_000;
    return String.format(
        "session=%s client=%s mail=<%s> rcpts=%d %s reply=\"%s\" ms=%d",
        id, client.getHostAddress(), reversePath, recipients, what, reply, millis);
  }
}
