package org.dkimrelay.relay.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.relay.dkim.BodyHasher;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningEngine.Outcome;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.spool.HeaderBuffer;
import org.dkimrelay.relay.spool.LongLineFolder;
import org.dkimrelay.relay.spool.SpoolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one signing pipeline every front-end uses (the SMTP proxy, the milter, the OpenSMTPD filter,
 * {@code sign}): a front-end feeds a message's body to {@link Message#body()} as it arrives, hands
 * over the header block at the end, and gets a {@link Verdict} back: the signature fields to put on
 * top, or the reply to give. Policy, replies, the explain log and the metrics of signing live here
 * once; the front-end only moves bytes.
 */
public final class MessagePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(MessagePipeline.class);

  private final AtomicReference<SigningEngine> engine;
  private final RelayMetrics metrics;
  private final boolean explain;

  public MessagePipeline(SigningEngine engine, RelayMetrics metrics, boolean explain) {
    this.engine = new AtomicReference<>(engine);
    this.metrics = metrics;
    this.explain = explain;
  }

  /**
   * Signs with {@code replacement} from the next message on (reload, rotation, keys whose DNS
   * records appeared or went away); a message in progress finishes with the engine it began with.
   */
  public void replaceEngine(SigningEngine replacement) {
    engine.set(replacement);
  }

  public SigningEngine engine() {
    return engine.get();
  }

  public RelayMetrics metrics() {
    return metrics;
  }

  /** Starts a message for session {@code session} (used in log lines). */
  public Message begin(String session) {
    return new Message(engine.get(), session);
  }

  /**
   * The reply for a message the spool could not keep (RFC 3463 codes in {@link Replies}); counted
   * once here.
   */
  public SmtpReply refusedBySpool(SpoolException e, long maxMessageSize, String session) {
    switch (e.reason()) {
      case MESSAGE_TOO_LARGE -> {
        metrics.refused("too_large");
        return Replies.messageTooLarge(maxMessageSize);
      }
      case HEADER_TOO_LARGE -> {
        metrics.refused("header_too_large");
        return Replies.malformed(e.getMessage());
      }
      case MEMORY_BUDGET_FULL -> {
        metrics.tempfailed("memory");
        LOG.warn("session={} {}: tempfail, the MTA retries", session, e.getMessage());
        return Replies.MEMORY_BUDGET_FULL;
      }
      default -> {
        metrics.tempfailed("spool");
        LOG.error("session={} {}", session, e.getMessage());
        return Replies.NO_SPOOL_SPACE;
      }
    }
  }

  /**
   * The reply for a header block that {@code header} could not keep (RFC 3463 codes in {@link
   * Replies}): over its limit, a malformed message; the shared budget full, a temporary failure.
   */
  public static SmtpReply headerNotKept(HeaderBuffer header) {
    return header.overflow() == HeaderBuffer.Overflow.OVER_LIMIT
        ? Replies.malformed("header block is over the limit of " + header.limit() + " bytes")
        : Replies.MEMORY_BUDGET_FULL;
  }

  /**
   * Counts a message whose verdict was {@link Verdict.Send} once the MTA or upstream took it:
   * {@code accepted} false means it was refused further on, and counts as neither signed nor
   * unsigned.
   */
  public void delivered(Verdict.Send send, boolean accepted, long size, Duration took) {
    metrics.message(size, took);
    if (!accepted) {
      return;
    }
    if (send.outcome() instanceof Outcome.Signed signed) {
      for (SignatureField field : signed.fields()) {
        DkimKey key = field.key().key();
        metrics.signed(
            key.domain().name(), key.selector().value(), key.algorithm().signatureAlgorithm());
      }
    } else if (send.outcome() instanceof Outcome.Unsigned unsigned) {
      metrics.unsigned(unsigned.why().name());
    }
  }

  /** One message on its way through: its engine, its body hash, then its verdict. */
  public final class Message {
    private final SigningEngine engine;
    private final BodyHasher bodyHasher;
    private final LongLineFolder body; // hashed as the next MTA will send it
    private final String session;

    private Message(SigningEngine engine, String session) {
      this.engine = engine;
      this.bodyHasher = engine.newBodyHasher();
      this.body = new LongLineFolder(bodyHasher, lineLengthLimit());
      this.session = session;
    }

    /** The longest body line the next MTA sends unbroken (0: none is broken). */
    public int lineLengthLimit() {
      return engine.signer().policy().lineLengthLimit();
    }

    /**
     * Where the body goes as it arrives: CRLF line endings, the bytes the MTA has. Lines longer
     * than the policy's line length limit are hashed broken, as the next MTA will send them.
     */
    public OutputStream body() {
      return body;
    }

    /**
     * Decides and signs, given the header block as the MTA has it (ending in CRLF CRLF); a header
     * line over the line length limit is signed broken, as the next MTA will send it (a fold, RFC
     * 5322 §2.2.3).
     */
    public Verdict finish(byte[] received) {
      try {
        body.finish();
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a hash in memory: cannot happen
      }
      byte[] headerBlock = LongLineFolder.breakLines(received, lineLengthLimit());
      if (explain) {
        LOG.info("session={} explain: {}", session, engine.explain(headerBlock).summary());
      }
      Outcome outcome = engine.process(headerBlock, bodyHasher.finish());
      if (outcome instanceof Outcome.Signed signed) {
        return new Verdict.Send(outcome, signed.fields(), describe(outcome));
      }
      if (outcome instanceof Outcome.Unsigned) {
        return new Verdict.Send(outcome, List.of(), describe(outcome));
      }
      SmtpReply reply;
      if (outcome instanceof Outcome.Refused refused) {
        reply =
            refused.why() == Outcome.Why.MALFORMED
                ? Replies.malformed(refused.reason())
                : Replies.unknownDomain(refused.reason());
        metrics.refused(refused.why().name());
      } else {
        metrics.tempfailed("signing"); // the front-end logs it, once, with its transaction
        reply = Replies.SIGNING_FAILED;
      }
      return new Verdict.Refuse(outcome, reply, describe(outcome));
    }
  }

  /** What happened, for the one log line of a transaction. */
  static String describe(Outcome outcome) {
    if (outcome instanceof Outcome.Signed signed) {
      return "from="
          + signed.decision().fromDomain()
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
      return "unsigned=\"" + unsigned.reason() + "\"";
    }
    if (outcome instanceof Outcome.Refused refused) {
      return "refused=\"" + refused.reason() + "\"";
    }
    return "failed=\"" + ((Outcome.Failed) outcome).reason() + "\"";
  }
}
