package org.dkimrelay.relay.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.relay.dkim.BodyHasher;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.dkim.SenderBinding;
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
 * top, or the reply to give. Limits a front-end meets (size, line length, memory, storage) are
 * verdicts too. {@link Message#end} logs and counts every message, once. Replies, the explain log
 * and the metrics of signing live here; the front-end only encodes its wire protocol.
 */
public final class MessagePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(MessagePipeline.class);

  private static final String LOGIN_MISMATCH = Outcome.Why.LOGIN_MISMATCH.name();

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

  /** Starts a message for session {@code session} (used in log lines), sent without a login. */
  public Message begin(String session) {
    return begin(session, Optional.empty());
  }

  /**
   * Starts a message for session {@code session} whose client logged in as {@code login} (SMTP
   * AUTH): only what the login may sign for is signed ({@code [senders]}).
   */
  public Message begin(String session, Optional<String> login) {
    return new Message(engine.get(), session, login.filter(name -> !name.isEmpty()));
  }

  /** One message on its way through: its engine, its body hash, then its verdict. */
  public final class Message {
    private final SigningEngine engine;
    private final BodyHasher bodyHasher;
    private final LongLineFolder body; // hashed as the next MTA will send it
    private final String session;
    private final Optional<String> login;
    private final long began = System.nanoTime();

    private Message(SigningEngine engine, String session, Optional<String> login) {
      this.engine = engine;
      this.login = login;
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
        LOG.info("session={} explain: {}", session, engine.explain(headerBlock, login).summary());
      }
      Outcome outcome = engine.process(headerBlock, bodyHasher.finish(), login);
      String description =
          describe(outcome)
              + login.map(name -> " login=" + SenderBinding.printable(name)).orElse("");
      if (outcome instanceof Outcome.Signed signed) {
        return new Verdict.Send(signed.fields(), description, Optional.empty(), null);
      }
      if (outcome instanceof Outcome.Unsigned unsigned) {
        return new Verdict.Send(
            List.of(), description, Optional.of(unsigned.reason()), unsigned.why().name());
      }
      if (outcome instanceof Outcome.Refused refused) {
        SmtpReply reply =
            switch (refused.why()) {
              case MALFORMED -> Replies.malformed(refused.reason());
              case UNKNOWN_DOMAIN -> Replies.unknownDomain(refused.reason());
              case LOGIN_MISMATCH -> Replies.loginMismatch(refused.reason());
            };
        return new Verdict.Refuse(reply, refused.reason(), false, refused.why().name());
      }
      return new Verdict.Refuse(
          Replies.SIGNING_FAILED, ((Outcome.Failed) outcome).reason(), true, "signing");
    }

    /** Refused unread: larger than {@code maxSize} (RFC 3463 5.3.4). */
    public Verdict refuseTooLarge(long maxSize) {
      return new Verdict.Refuse(
          Replies.messageTooLarge(maxSize),
          "larger than " + maxSize + " bytes",
          false,
          "too_large");
    }

    /** Refused: a line longer than {@code maxLine} bytes could not be kept whole. */
    public Verdict refuseLineTooLong(int maxLine) {
      String reason = "a line longer than " + maxLine + " bytes";
      return new Verdict.Refuse(Replies.malformed(reason), reason, false, "line_too_long");
    }

    /** Refused: 8-bit content, and the next hop does not take 8BITMIME. */
    public Verdict refuseEightBit() {
      return new Verdict.Refuse(
          Replies.EIGHT_BIT_REFUSED, "8-bit content, next hop without 8BITMIME", false, "8bit");
    }

    /** Deferred: the message could not be stored ({@code why}); the MTA retries. */
    public Verdict refuseStorage(String why) {
      return new Verdict.Refuse(Replies.NO_SPOOL_SPACE, why, false, "spool");
    }

    /**
     * The verdict for a header block that {@code header} could not keep: over its limit, a
     * malformed message; the shared memory budget full, a temporary failure.
     */
    public Verdict refuseHeaderNotKept(HeaderBuffer header) {
      if (header.overflow() == HeaderBuffer.Overflow.OVER_LIMIT) {
        String reason = "header block is over the limit of " + header.limit() + " bytes";
        return new Verdict.Refuse(Replies.malformed(reason), reason, false, "header_too_large");
      }
      return memoryFull();
    }

    /** The verdict for a message the spool could not keep (RFC 3463 codes in {@link Replies}). */
    public Verdict refuseSpooled(SpoolException e, long maxSize) {
      return switch (e.reason()) {
        case MESSAGE_TOO_LARGE -> refuseTooLarge(maxSize);
        case HEADER_TOO_LARGE ->
            new Verdict.Refuse(
                Replies.malformed(e.getMessage()), e.getMessage(), false, "header_too_large");
        case MEMORY_BUDGET_FULL -> memoryFull();
        case NO_SPOOL_SPACE -> refuseStorage(e.getMessage());
      };
    }

    private static Verdict memoryFull() {
      return new Verdict.Refuse(
          Replies.MEMORY_BUDGET_FULL,
          "the memory for messages in progress is full",
          false,
          "memory");
    }

    /**
     * The end of the message: its one log line and its counts. {@code who} names the session the
     * way the front-end's log does; {@code passedOn} is the reply given when the verdict was {@link
     * Verdict.Send} (the milter's "continue", the filter's "proceed").
     */
    public void end(String who, Verdict verdict, long size, String passedOn) {
      end(who, verdict, size, passedOn, true);
    }

    /**
     * The same for a front-end whose next hop may still refuse a message it was to send ({@code
     * passedOn} is then the next hop's reply): {@code accepted} false counts it as neither signed
     * nor unsigned.
     */
    public void end(String who, Verdict verdict, long size, String passedOn, boolean accepted) {
      Duration took = Duration.ofNanos(System.nanoTime() - began);
      String reply = passedOn;
      if (verdict instanceof Verdict.Send send) {
        count(send, accepted, size, took);
        if (LOGIN_MISMATCH.equals(send.unsignedCounter)) {
          metrics.loginMismatch(SenderBinding.loginDomain(login.orElse("")));
        }
      } else {
        Verdict.Refuse refuse = (Verdict.Refuse) verdict;
        reply = refuse.reply().toString();
        if (LOGIN_MISMATCH.equals(refuse.counter)) {
          metrics.loginMismatch(SenderBinding.loginDomain(login.orElse("")));
        }
        if (refuse.reply().permanentFailure()) {
          metrics.refused(refuse.counter);
        } else {
          metrics.tempfailed(refuse.counter);
        }
      }
      String line =
          who
              + " "
              + verdict.description()
              + (size < 0 ? "" : " size=" + size) // unknown when storing it failed
              + " reply=\""
              + reply
              + "\" ms="
              + took.toMillis();
      if (verdict instanceof Verdict.Refuse refuse && refuse.signingFailed()) {
        LOG.error(line);
      } else {
        LOG.info(line);
      }
    }
  }

  private void count(Verdict.Send send, boolean accepted, long size, Duration took) {
    metrics.message(size, took);
    if (!accepted) {
      return;
    }
    for (SignatureField field : send.fields()) {
      DkimKey key = field.key().key();
      metrics.signed(
          key.domain().name(), key.selector().value(), key.algorithm().signatureAlgorithm());
    }
    if (send.unsignedCounter != null) {
      metrics.unsigned(send.unsignedCounter);
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
              .collect(Collectors.joining(","))
          + signed.decision().rule().map(rule -> " rule=\"" + rule + "\"").orElse("")
          + signed.binding().map(rule -> " login-binding=\"" + rule + "\"").orElse("");
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
