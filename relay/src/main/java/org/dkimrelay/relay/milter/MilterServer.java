package org.dkimrelay.relay.milter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.config.MilterAddress;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.spool.HeaderBuffer;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The milter front-end: listens on TCP or a unix socket, one thread per MTA connection (Postfix
 * keeps one per smtpd process and reuses it for every message of its SMTP sessions). Whoever
 * connects can have mail signed, so a TCP peer outside {@code allow} is closed before anything is
 * read. A connection that breaks, one over {@code maxSessions}, and one whose peer sends nothing in
 * time is closed: Postfix then applies {@code milter_default_action = tempfail}, so the message
 * stays with the MTA. Memory a peer can make us hold is bounded by the shared budget.
 */
public final class MilterServer {
  private static final Logger LOG = LoggerFactory.getLogger(MilterServer.class);
  private static final int BUFFER = 128 * 1024; // two of Postfix's 64 KB body chunks

  /**
   * Where and how to listen, who may connect, and whose mail to sign; {@code timeout}: the longest
   * wait for the MTA's next packet; {@code budget}: the memory all messages in progress share.
   */
  public record Settings(
      MilterAddress address,
      List<Cidr> allow,
      List<Cidr> internal,
      boolean authenticated,
      String socketMode,
      Optional<String> socketGroup,
      int maxSessions,
      Duration timeout,
      int maxHeaderBytes,
      MemoryBudget budget) {
    public Settings {
      allow = List.copyOf(allow);
      internal = List.copyOf(internal);
    }
  }

  // Postfix sends option negotiation as soon as it connects, and writes each packet in one go:
  // a peer slower than this (Postfix's own milter_command_timeout) is not an MTA at work.
  static final Duration PROMPT = Duration.ofSeconds(30);

  private final Settings settings;
  private final MessagePipeline pipeline;
  private final MilterPolicy policy;
  private final ServerSocketChannel listener;
  private final Semaphore sessions;
  private final ExecutorService workers;
  private final Set<MilterConnection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger counter = new AtomicInteger();
  private final ScheduledExecutorService reaper;
  private volatile boolean stopping;

  /** Binds the socket now, so a bad address or a busy port stops start-up. */
  public MilterServer(Settings settings, MessagePipeline pipeline) throws IOException {
    this.settings = settings;
    this.pipeline = pipeline;
    this.policy = new MilterPolicy(settings.internal(), settings.authenticated());
    this.sessions = new Semaphore(settings.maxSessions());
    this.listener =
        MilterListener.bind(settings.address(), settings.socketMode(), settings.socketGroup());
    this.workers =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "dkimrelay-milter-" + counter.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    this.reaper =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "dkimrelay-milter-timeouts");
              thread.setDaemon(true);
              return thread;
            });
  }

  public void start() {
    Thread acceptor = new Thread(this::acceptLoop, "dkimrelay-milter-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    long tick = Math.max(100, Math.min(1000, settings.timeout().toMillis() / 4));
    reaper.scheduleWithFixedDelay(this::closeStalled, tick, tick, TimeUnit.MILLISECONDS);
  }

  /** Closes connections whose peer did not send in time: their slot is free again. */
  private void closeStalled() {
    long now = System.nanoTime();
    for (MilterConnection connection : open) {
      if (connection.overdue(now)) {
        LOG.info("milter={} the peer sent nothing in time: closing", connection.id);
        closeQuietly(connection.channel);
      }
    }
  }

  /** The TCP port listened on (the one chosen when configured as 0); -1 for a unix socket. */
  public int port() {
    try {
      return listener.getLocalAddress() instanceof InetSocketAddress inet ? inet.getPort() : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  public MilterAddress address() {
    return settings.address();
  }

  private void acceptLoop() {
    while (!stopping) {
      SocketChannel channel;
      try {
        channel = listener.accept();
      } catch (IOException e) {
        if (stopping || !listener.isOpen()) {
          return;
        }
        // Out of file descriptors, say: the loop must go on, or the milter would be shut for good.
        LOG.error("milter: accept failed, trying again: {}", e.getMessage());
        pause();
        continue;
      }
      try {
        admit(channel);
      } catch (RuntimeException e) {
        LOG.error("milter: cannot serve a new connection: {}", e.toString());
        closeQuietly(channel);
      }
    }
  }

  /** Serves {@code channel} if its peer may connect and a session slot is free; else closes it. */
  private void admit(SocketChannel channel) {
    Optional<InetAddress> peer = peerAddress(channel);
    if (peer.isPresent() && settings.allow().stream().noneMatch(c -> c.contains(peer.get()))) {
      LOG.warn("milter: {} is not in [milter] allow: closing", peer.get().getHostAddress());
      closeQuietly(channel);
      return;
    }
    if (!sessions.tryAcquire()) {
      LOG.warn("milter: over max-sessions ({}): closing; the MTA defers", settings.maxSessions());
      closeQuietly(channel);
      return;
    }
    try {
      workers.execute(() -> serve(channel));
    } catch (RuntimeException e) {
      sessions.release();
      throw e;
    }
  }

  /** The TCP peer's address; empty for a unix socket (its file mode says who may connect). */
  private static Optional<InetAddress> peerAddress(SocketChannel channel) {
    try {
      return channel.getRemoteAddress() instanceof InetSocketAddress inet
          ? Optional.of(inet.getAddress())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // already closed: serving it ends at its first read
    }
  }

  private void serve(SocketChannel channel) {
    String id = "m" + counter.incrementAndGet();
    MilterConnection connection =
        new MilterConnection(
            id,
            channel,
            new MilterSession(
                pipeline,
                policy,
                id,
                new HeaderBuffer(settings.budget(), settings.maxHeaderBytes())));
    connection.expectWithin(prompt());
    open.add(connection);
    try {
      exchange(connection, streams(channel));
    } catch (MilterProtocolException e) {
      LOG.warn("milter={} not the milter protocol, closing: {}", id, e.getMessage());
    } catch (IOException e) {
      if (!stopping) {
        LOG.info("milter={} connection ended: {}", id, e.getMessage());
      }
    } catch (RuntimeException e) {
      // Closing is the safe answer: the MTA applies milter_default_action (tempfail).
      LOG.error("milter={} internal error, closing: the MTA keeps the message", id, e);
    } finally {
      open.remove(connection);
      connection.session.close();
      closeQuietly(channel);
      sessions.release();
    }
  }

  /** Packets in, answers out, until the MTA quits or closes. */
  private void exchange(MilterConnection connection, Streams streams) throws IOException {
    Runnable packetStarted = () -> connection.expectWithin(prompt());
    while (true) {
      List<MilterPacket> answer;
      try {
        Optional<MilterPacket> packet =
            MilterPacket.read(streams.in(), settings.budget(), packetStarted);
        if (packet.isEmpty() || packet.get().command() == MilterProtocol.QUIT) {
          return;
        }
        connection.answering();
        try {
          answer = connection.session.handle(packet.get());
        } finally {
          settings.budget().giveBack(packet.get().reserved());
        }
      } catch (MilterPacket.Dropped dropped) {
        answer = connection.session.dropped(dropped.command);
      }
      send(answer, streams.out());
      connection.expectWithin(settings.timeout());
    }
  }

  private static void send(List<MilterPacket> answer, OutputStream out) throws IOException {
    for (MilterPacket reply : answer) {
      reply.write(out);
    }
    if (!answer.isEmpty()) {
      out.flush();
    }
  }

  private Duration prompt() {
    return settings.timeout().compareTo(PROMPT) < 0 ? settings.timeout() : PROMPT;
  }

  private record Streams(InputStream in, OutputStream out) {}

  private Streams streams(SocketChannel channel) throws IOException {
    InputStream raw = Channels.newInputStream(channel);
    if (settings.address().inet().isPresent()) {
      // Many small packets, each awaited: Nagle plus delayed ACKs would cost ~40 ms apiece.
      channel.socket().setTcpNoDelay(true);
      raw = new QuickAckInput(raw, channel);
    }
    return new Streams(
        new BufferedInputStream(raw, BUFFER),
        new BufferedOutputStream(Channels.newOutputStream(channel), 8192));
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops: no new connections; messages in progress get up to {@code grace} to reach their end;
   * then every connection is closed (Postfix tempfails what was cut off, so nothing is lost).
   */
  public void stop(Duration grace) {
    stopping = true;
    closeQuietly(listener);
    long deadline = System.nanoTime() + grace.toNanos();
    while (open.stream().anyMatch(c -> c.session.inMessage()) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50); // polling at shutdown, not synchronising a test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    open.forEach(connection -> closeQuietly(connection.channel));
    workers.shutdownNow();
    reaper.shutdownNow();
    settings.address().unix().ifPresent(MilterServer::deleteQuietly);
  }

  private static void closeQuietly(Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // the next start removes a stale socket
    }
  }
}
