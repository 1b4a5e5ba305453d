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
import org.dkimrelay.relay.reply.ReplyCode;
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
 * sees a partial message.
 */
final class RelaySession {
  private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);

  private final RelayContext context;
  private final String id;
  private final InetAddress client;
  private final ClientPace pace;
  private int authFailures;
  private UpstreamClient upstream;
  private boolean upstreamTransaction;
  private boolean inTransaction; // counted in the context, for a graceful stop

  private String reversePath = "";
  private int recipients;
  private long transactionStart;

  RelaySession(RelayContext context, String id, InetAddress client, ClientPace pace) {
    this.context = context;
    this.id = id;
    this.client = client;
    this.pace = pace;
  }

  ClientPace pace() {
    return pace;
  }

  /** Counts a failed AUTH; returns how many this session has had. */
  int authFailed() {
    return ++authFailures;
  }

  /**
   * The EHLO keywords to offer: 8BITMIME and SMTPUTF8 only when upstream offers them, since we can
   * neither convert nor sign-then-convert. Upstream is asked now; if it cannot be reached, the
   * conservative set is offered and MAIL will report the failure.
   */
  List<String> ehloKeywords() {
    List<String> keywords =
        new ArrayList<>(List.of("PIPELINING", "SIZE " + context.maxMessageSize()));
    try {
      connected();
      if (upstream.supports("8BITMIME")) {
        keywords.add("8BITMIME");
      }
      if (upstream.supports("SMTPUTF8")) {
        keywords.add("SMTPUTF8");
      }
    } catch (UpstreamException e) {
      LOG.warn("session={} {}", id, e.getMessage());
    }
    keywords.add("ENHANCEDSTATUSCODES");
    return keywords;
  }

  /** MAIL FROM, passed on with the parameters upstream supports; upstream's refusal is ours. */
  void mail(String path, MailParameters parameters) throws ReplyException {
    transactionStart = System.nanoTime();
    reversePath = path;
    recipients = 0;
    SmtpReply reply = upstream(() -> connected().mail(path, parameters));
    if (!reply.positive()) {
      log("refused at MAIL", reply);
      throw new ReplyException(reply);
    }
    upstreamTransaction = true;
    inTransaction = true;
    context.transactionStarted();
  }

  /** RCPT TO, passed on at once: each recipient gets upstream's own reply. */
  void rcpt(String forwardPath) throws ReplyException {
    SmtpReply reply = upstream(() -> connected().rcpt(forwardPath));
    if (!reply.positive()) {
      throw new ReplyException(reply);
    }
    recipients++;
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
      upstreamTransaction = false; // after the final reply upstream's transaction is over
      log(what, reply);
      context.metrics().upstreamReply(reply.code());
      context
          .pipeline()
          .delivered(
              send,
              reply.positive(),
              message.size(),
              Duration.ofNanos(System.nanoTime() - received));
      if (!reply.positive()) {
        throw new ReplyException(reply);
      }
      return reply.enhanced().isEmpty()
          ? String.join(" ", reply.lines())
          : reply.enhanced() + " " + String.join(" ", reply.lines());
    }
  }

  /** The new fields, then the message as received; upstream dot-stuffs it. */
  private SmtpReply send(Verdict.Send send, SpooledMessage message) throws ReplyException {
    try {
      return upstream(
          () ->
              connected()
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
    try {
      return connected().supports("8BITMIME");
    } catch (UpstreamException e) {
      context.metrics().tempfailed("upstream");
      throw new ReplyException(e.reply());
    }
  }

  /** The transaction ended (DATA done, RSET, or refused): an open upstream one is reset. */
  void endTransaction() {
    if (upstreamTransaction && upstream != null && upstream.usable()) {
      try {
        upstream.rset();
      } catch (UpstreamException e) {
        LOG.info("session={} RSET upstream failed: {}", id, e.getMessage());
      }
    }
    upstreamTransaction = false;
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
    }
    return upstream;
  }

  private interface UpstreamCall {
    SmtpReply run() throws UpstreamException;
  }

  private SmtpReply upstream(UpstreamCall call) throws ReplyException {
    try {
      SmtpReply reply = call.run();
      if (reply.code() == ReplyCode.SERVICE_NOT_AVAILABLE) {
        // Upstream is closing its side. Passed on as is, 421 would tell the MTA that we are
        // closing ours; it is a temporary failure of this transaction instead.
        upstream.close();
        throw new UpstreamException(UpstreamException.Kind.DROPPED, "upstream said " + reply);
      }
      return reply;
    } catch (UpstreamException e) {
      SmtpReply reply = e.reply();
      log("upstream failed", reply);
      throw new ReplyException(reply);
    }
  }

  /** One line per transaction (STYLE.md): session, client, what happened, reply, milliseconds. */
  private void log(String what, SmtpReply reply) {
    long millis = transactionStart == 0 ? 0 : (System.nanoTime() - transactionStart) / 1_000_000;
    LOG.info(
        "session={} client={} mail=<{}> rcpts={} {} reply=\"{}\" ms={}",
        id,
        client.getHostAddress(),
        reversePath,
        recipients,
        what,
        reply,
        millis);
  }
}
