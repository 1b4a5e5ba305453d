package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.relay.dkim.BodyHasher;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningEngine.Outcome;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.spool.SpoolException;
import org.dkimrelay.relay.spool.SpooledMessage;
import org.dkimrelay.relay.upstream.MailParameters;
import org.dkimrelay.relay.upstream.SmtpReply;
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
    SigningEngine engine = context.engine(); // one engine for the whole message
    BodyHasher bodyHasher = engine.newBodyHasher();
    SpooledMessage message;
    try {
      message = context.spooler().spool(content, bodyHasher);
    } catch (SpoolException e) {
      SmtpReply reply =
          switch (e.reason()) {
            case MESSAGE_TOO_LARGE -> Replies.messageTooLarge(context.maxMessageSize());
            case HEADER_TOO_LARGE -> Replies.malformed(e.getMessage());
            case NO_SPOOL_SPACE -> Replies.NO_SPOOL_SPACE;
          };
      switch (e.reason()) {
        case MESSAGE_TOO_LARGE -> context.metrics().refused("too_large");
        case HEADER_TOO_LARGE -> context.metrics().refused("header_too_large");
        case NO_SPOOL_SPACE -> {
          context.metrics().tempfailed("spool");
          LOG.error("session={} {}", id, e.getMessage());
        }
      }
      log((reply.code() >= 500 ? "refused: " : "deferred: ") + e.getMessage(), reply);
      throw new ReplyException(reply);
    }
    try (message) {
      long received = System.nanoTime();
      if (context.explain()) {
        LOG.info("session={} explain: {}", id, engine.explain(message.header()).summary());
      }
      Outcome outcome = engine.process(message.header(), bodyHasher.finish());
      List<SignatureField> fields = fieldsToSend(outcome, message);
      if (message.eightBit() && !upstreamSupports8BitMime()) {
        context.metrics().refused("8bit");
        log("refused: 8-bit content", Replies.EIGHT_BIT_REFUSED);
        throw new ReplyException(Replies.EIGHT_BIT_REFUSED);
      }
      SmtpReply reply = send(fields, message);
      upstreamTransaction = false; // after the final reply upstream's transaction is over
      log(describe(outcome, message), reply);
      count(outcome, reply, message.size(), Duration.ofNanos(System.nanoTime() - received));
      if (!reply.positive()) {
        throw new ReplyException(reply);
      }
      return reply.enhanced().isEmpty()
          ? String.join(" ", reply.lines())
          : reply.enhanced() + " " + String.join(" ", reply.lines());
    }
  }

  /** The new fields, then the message as received; upstream dot-stuffs it. */
  private SmtpReply send(List<SignatureField> fields, SpooledMessage message)
      throws ReplyException {
    try {
      return upstream(
          () ->
              connected()
                  .data(
                      out -> {
                        for (SignatureField field : fields) {
                          out.write(field.bytes());
                        }
                        out.write(message.header());
                        try (InputStream body = message.openBody()) {
                          body.transferTo(out);
                        }
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
      throw new ReplyException(Replies.upstreamFailed(e));
    }
  }

  private void count(Outcome outcome, SmtpReply reply, long size, Duration took) {
    RelayMetrics metrics = context.metrics();
    metrics.upstreamReply(reply.code());
    metrics.message(size, took);
    if (!reply.positive()) {
      return;
    }
    if (outcome instanceof Outcome.Signed signed) {
      for (SignatureField field : signed.fields()) {
        DkimKey key = field.key().key();
        metrics.signed(
            key.domain().name(), key.selector().value(), key.algorithm().signatureAlgorithm());
      }
    } else if (outcome instanceof Outcome.Unsigned unsigned) {
      metrics.unsigned(unsigned.why().name());
    }
  }

  private List<SignatureField> fieldsToSend(Outcome outcome, SpooledMessage message)
      throws ReplyException {
    if (outcome instanceof Outcome.Signed signed) {
      return signed.fields();
    }
    if (outcome instanceof Outcome.Unsigned) {
      return List.of();
    }
    SmtpReply reply;
    if (outcome instanceof Outcome.Refused refused) {
      reply =
          refused.why() == Outcome.Why.MALFORMED
              ? Replies.malformed(refused.reason())
              : Replies.unknownDomain(refused.reason());
      context.metrics().refused(refused.why().name());
    } else {
      context.metrics().tempfailed("signing");
      LOG.error("session={} {}", id, ((Outcome.Failed) outcome).reason());
      reply = Replies.signingFailed();
    }
    log(describe(outcome, message), reply);
    throw new ReplyException(reply);
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
      if (reply.code() == 421) {
        // Upstream is closing its side. Passed on as is, 421 would tell the MTA that we are
        // closing ours; it is a temporary failure of this transaction instead.
        upstream.close();
        throw new UpstreamException(UpstreamException.Kind.DROPPED, "upstream said " + reply);
      }
      return reply;
    } catch (UpstreamException e) {

      SmtpReply reply = Replies.upstreamFailed(e);
      log("upstream failed", reply);
      throw new ReplyException(reply);
    }
  }

  private static String describe(Outcome outcome, SpooledMessage message) {
    String size = " size=" + message.size();
    if (outcome instanceof Outcome.Signed signed) {
      return "from="
          + signed.decision().fromDomain()
          + size
          + " signed="
          + signed.fields().stream()
              .map(
                  field ->
                      "d="
                          + field.key().key().domain()
                          + " s="
                          + field.key().key().selector()
                          + " a="
                          + field.key().key().algorithm().signatureAlgorithm())
              .collect(Collectors.joining(","));
    }
    if (outcome instanceof Outcome.Unsigned unsigned) {
      return "unsigned=\"" + unsigned.reason() + "\"" + size;
    }
    if (outcome instanceof Outcome.Refused refused) {
      return "refused=\"" + refused.reason() + "\"" + size;
    }
    return "failed=\"" + ((Outcome.Failed) outcome).reason() + "\"" + size;
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
