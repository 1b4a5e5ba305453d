package org.dkimrelay.relay.upstream;

import java.util.Optional;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.wire.MailParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream side of one inbound session: one connection, opened at the first EHLO or MAIL and
 * reused for every transaction, and where upstream's side of the current transaction stands. Once
 * it is gone (421, a dropped connection, a timeout, a protocol violation) it stays {@link #lost()}
 * until the client's transaction ends: a new connection is only ever used for a new MAIL, since
 * continuing on one would deliver to some recipients what the client was told was accepted for all.
 * Not thread-safe: one per inbound session.
 */
public final class UpstreamSession {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamSession.class);
  // Room for what we add under upstream's SIZE: two DKIM-Signature fields (RSA-4096 and Ed25519,
  // folded, with a long h= list) take under 3 KB.
  static final long SIGNATURE_ROOM = 4096;

  private enum State {
    NONE,
    OPEN,
    LOST
  }

  private final UpstreamSettings settings;
  private final String id;
  private UpstreamClient connection;
  private boolean used; // a MAIL went over this connection already
  private UpstreamException unreachableAtEhlo; // given at MAIL without waiting a second time
  private State state = State.NONE;

  /** {@code id}: the inbound session's, for the log. */
  public UpstreamSession(UpstreamSettings settings, String id) {
    this.settings = settings;
    this.id = id;
  }

  /**
   * At EHLO: the connection, to learn upstream's extensions; empty when upstream cannot be reached,
   * and then the next MAIL gets that failure at once instead of waiting again.
   */
  public Optional<UpstreamClient> atEhlo() {
    if (unreachableAtEhlo != null) {
      return Optional.empty();
    }
    try {
      return Optional.of(connected());
    } catch (UpstreamException e) {
      unreachableAtEhlo = e;
      LOG.warn("session={} {}", id, e.getMessage());
      return Optional.empty();
    }
  }

  /** RFC 1870: {@code ours}, or upstream's SIZE less room for the signatures, if smaller. */
  public static long messageLimit(long ours, UpstreamClient connected) {
    return connected.sizeLimit().stream()
        .map(theirs -> Math.max(1, Math.min(ours, theirs - SIGNATURE_ROOM)))
        .findFirst()
        .orElse(ours);
  }

  /** The connection a new transaction starts on: the cached one while upstream still holds it. */
  public UpstreamClient forNewTransaction() throws UpstreamException {
    if (unreachableAtEhlo != null) {
      UpstreamException found = unreachableAtEhlo;
      unreachableAtEhlo = null; // found at EHLO moments ago: not waited for a second time
      throw found;
    }
    if (connection != null && connection.usable() && connection.spokeUnasked()) {
      LOG.info("session={} upstream closed the idle connection; opening a new one", id);
      connection.close();
    }
    return connected();
  }

  /**
   * MAIL upstream, on the connection {@link #forNewTransaction} gave; a positive reply opens
   * upstream's transaction. A connection that carried earlier transactions may have been closed by
   * upstream while idle (its smtpd_timeout) without a word: that shows only now, and MAIL is tried
   * once on a new one.
   */
  public SmtpReply mail(String path, MailParameters parameters) throws UpstreamException {
    boolean reused = used;
    used = true;
    SmtpReply reply;
    try {
      reply = connected().mail(path, parameters);
    } catch (UpstreamException e) {
      if (!reused || e.kind() != UpstreamException.Kind.DROPPED) {
        throw e;
      }
      LOG.info("session={} {}; opening a new connection", id, e.getMessage());
      reply = connected().mail(path, parameters);
    }
    if (reply.positive()) {
      state = State.OPEN;
    }
    return reply;
  }

  /** RCPT on the open transaction. */
  public SmtpReply rcpt(String forwardPath) throws UpstreamException {
    return during(() -> inTransaction().rcpt(forwardPath));
  }

  /** DATA and the content on the open transaction; after the final reply it is over. */
  public SmtpReply data(UpstreamClient.ContentWriter writer) throws UpstreamException {
    SmtpReply reply = during(() -> inTransaction().data(writer));
    state = State.NONE;
    return reply;
  }

  /** Whether the open transaction's upstream advertised {@code keyword}. */
  public boolean supports(String keyword) throws UpstreamException {
    return inTransaction().supports(keyword);
  }

  /** Whether upstream's side of the client's transaction is gone. */
  public boolean lost() {
    return state == State.LOST;
  }

  /** The client's transaction ended (DATA done, RSET, refused): an open upstream one is reset. */
  public void endTransaction() {
    if (state == State.OPEN && connection != null && connection.usable()) {
      try {
        if (!connection.rset().positive()) {
          connection.close(); // upstream's state is unknown: not for the next transaction
        }
      } catch (UpstreamException e) {
        LOG.info("session={} RSET upstream failed: {}", id, e.getMessage());
      }
    }
    state = State.NONE;
  }

  /** The client left: QUIT upstream. */
  public void close() {
    endTransaction();
    if (connection != null) {
      connection.quit();
      connection = null;
    }
  }

  private UpstreamClient connected() throws UpstreamException {
    if (connection == null || !connection.usable()) {
      connection = UpstreamClient.connect(settings);
      used = false;
    }
    return connection;
  }

  private UpstreamClient inTransaction() throws UpstreamException {
    if (state != State.OPEN || connection == null || !connection.usable()) {
      throw new UpstreamException(
          UpstreamException.Kind.DROPPED, "upstream's side of this transaction is gone");
    }
    return connection;
  }

  private interface Exchange {
    SmtpReply run() throws UpstreamException;
  }

  /** Any failure during the open transaction loses upstream's side of it. */
  private SmtpReply during(Exchange exchange) throws UpstreamException {
    try {
      return exchange.run();
    } catch (UpstreamException e) {
      if (state == State.OPEN) {
        state = State.LOST;
      }
      throw e;
    }
  }
}
