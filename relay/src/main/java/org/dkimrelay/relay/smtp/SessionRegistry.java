package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;

/**
 * Admits connections (allowlist, session limit, shutdown) and keeps each admitted connection's
 * {@link RelaySession}, closing it when the connection ends.
 */
final class SessionRegistry implements SessionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(SessionRegistry.class);

  private final RelayContext context;
  private final List<Cidr> allow;
  private final int maxSessions;
  private final Duration timeout;
  private final long minDataRate;
  private final Map<Session, RelaySession> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean stopping;

  SessionRegistry(
      RelayContext context, List<Cidr> allow, int maxSessions, Duration timeout, long minDataRate) {
    this.context = context;
    this.allow = List.copyOf(allow);
    this.maxSessions = maxSessions;
    this.timeout = timeout;
    this.minDataRate = minDataRate;
  }

  @Override
  public SessionAcceptance accept(Session session) {
    InetAddress client = session.getRemoteAddress().getAddress();
    if (stopping) {
      return refuse(Replies.SHUTTING_DOWN);
    }
    if (allow.stream().noneMatch(range -> range.contains(client))) {
      return refuse(Replies.CLIENT_NOT_ALLOWED);
    }
    if (open.incrementAndGet() > maxSessions) {
      open.decrementAndGet();
      return refuse(Replies.TOO_MANY_SESSIONS);
    }
    ClientPace pace = new ClientPace(timeout, minDataRate, System.nanoTime());
    sessions.put(session, new RelaySession(context, session.getSessionId(), client, pace));
    return SessionAcceptance.success();
  }

  @Override
  public void onSessionEnd(Session session) {
    RelaySession relay = sessions.remove(session);
    if (relay != null) {
      relay.close();
      open.decrementAndGet();
    }
  }

  RelaySession of(Session session) {
    RelaySession relay = sessions.get(session);
    if (relay == null) {
      throw new IllegalStateException("no relay session for " + session.getSessionId());
    }
    return relay;
  }

  /**
   * Disconnects every client that is behind its {@link ClientPace}, with 421 4.4.2. Nothing of a
   * message cut off here went upstream, and the MTA still has it.
   */
  void closeOverdue(long now) {
    sessions.forEach(
        (session, relay) -> {
          if (relay.pace().overdue(now)) {
            relay.pace().cutOff();
            LOG.info(
                "session={} client={} disconnected: {}",
                session.getSessionId(),
                session.getRemoteAddress().getAddress().getHostAddress(),
                relay.pace().describe());
            try {
              session.sendResponse(Replies.CLIENT_TOO_SLOW.wire());
              session.closeSocket(); // the session's thread ends and onSessionEnd cleans up
            } catch (IOException e) {
              // already gone
            }
          }
        });
  }

  int openSessions() {
    return open.get();
  }

  /** From now on new connections get 421 4.3.2. */
  void stopAdmitting() {
    stopping = true;
  }

  private static SessionAcceptance refuse(SmtpReply reply) {
    return SessionAcceptance.failure(
        reply.code(), reply.enhanced() + " " + String.join(" ", reply.lines()));
  }
}
