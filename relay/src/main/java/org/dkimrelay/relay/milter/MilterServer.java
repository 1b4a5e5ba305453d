package org.dkimrelay.relay.milter;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.config.MilterAddress;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The milter front-end: listens on TCP or a unix socket, one thread per MTA connection (Postfix
 * keeps one per smtpd process and reuses it for every message of its SMTP sessions). A connection
 * that breaks, or a connection over {@code maxSessions}, is closed: Postfix then applies {@code
 * milter_default_action = tempfail}, so the message stays with the MTA.
 */
public final class MilterServer {
  private static final Logger LOG = LoggerFactory.getLogger(MilterServer.class);
  private static final int BUFFER = 128 * 1024; // two of Postfix's 64 KB body chunks

  /** Where and how to listen, and whose mail to sign. */
  public record Settings(
      MilterAddress address,
      List<Cidr> internal,
      boolean authenticated,
      String socketMode,
      Optional<String> socketGroup,
      int maxSessions,
      int maxHeaderBytes) {}

  private final Settings settings;
  private final MessagePipeline pipeline;
  private final MilterPolicy policy;
  private final ServerSocketChannel listener;
  private final Semaphore sessions;
  private final ExecutorService workers;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger counter = new AtomicInteger();
  private volatile boolean stopping;

  private record Connection(SocketChannel channel, MilterSession session) {}

  /** Binds the socket now, so a bad address or a busy port stops start-up. */
  public MilterServer(Settings settings, MessagePipeline pipeline) throws IOException {
    this.settings = settings;
    this.pipeline = pipeline;
    this.policy = new MilterPolicy(settings.internal(), settings.authenticated());
    this.sessions = new Semaphore(settings.maxSessions());
    this.listener = bind(settings);
    this.workers =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "dkimrelay-milter-" + counter.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  private static ServerSocketChannel bind(Settings settings) throws IOException {
    if (settings.address().inet().isPresent()) {
      var address = settings.address().inet().orElseThrow();
      ServerSocketChannel channel = ServerSocketChannel.open();
      channel.bind(
          new InetSocketAddress(InetAddress.getByName(address.host()), address.port()), 512);
      return channel;
    }
    Path path = settings.address().unix().orElseThrow();
    if (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path)) {
      Files.delete(path); // a socket left by an earlier run; bind cannot reuse it
    }
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    channel.bind(UnixDomainSocketAddress.of(path), 512);
    Set<PosixFilePermission> mode =
        PosixFilePermissions.fromString(permissions(settings.socketMode()));
    Files.setPosixFilePermissions(path, mode);
    if (settings.socketGroup().isPresent()) {
      GroupPrincipal group =
          path.getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByGroupName(settings.socketGroup().get());
      Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(group);
    }
    return channel;
  }

  /** "0660" → "rw-rw----". */
  private static String permissions(String octal) {
    String digits = octal.substring(octal.length() - 3);
    StringBuilder text = new StringBuilder();
    for (char digit : digits.toCharArray()) {
      int bits = digit - '0';
      text.append((bits & 4) != 0 ? 'r' : '-')
          .append((bits & 2) != 0 ? 'w' : '-')
          .append((bits & 1) != 0 ? 'x' : '-');
    }
    return text.toString();
  }

  public void start() {
    Thread acceptor = new Thread(this::acceptLoop, "dkimrelay-milter-accept");
    acceptor.setDaemon(true);
    acceptor.start();
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
        if (!stopping) {
          LOG.error("milter: accept failed: {}", e.getMessage());
        }
        return;
      }
      if (!sessions.tryAcquire()) {
        LOG.warn("milter: over max-sessions ({}): closing; the MTA defers", settings.maxSessions());
        closeQuietly(channel);
        continue;
      }
      workers.execute(() -> serve(channel));
    }
  }

  private void serve(SocketChannel channel) {
    String id = "m" + counter.incrementAndGet();
    Connection connection =
        new Connection(channel, new MilterSession(pipeline, policy, id, settings.maxHeaderBytes()));
    open.add(connection);
    try {
      if (settings.address().inet().isPresent()) {
        // Many small packets, each awaited: Nagle plus delayed ACKs would cost ~40 ms apiece.
        channel.socket().setTcpNoDelay(true);
      }
      InputStream raw = Channels.newInputStream(channel);
      if (settings.address().inet().isPresent()) {
        raw = new QuickAckInput(raw, channel);
      }
      InputStream in = new BufferedInputStream(raw, BUFFER);
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 8192);
      for (var packet = MilterPacket.read(in); packet.isPresent(); packet = MilterPacket.read(in)) {
        if (packet.get().command() == MilterProtocol.QUIT) {
          break;
        }
        List<MilterPacket> answer = connection.session().handle(packet.get());
        for (MilterPacket reply : answer) {
          reply.write(out);
        }
        if (!answer.isEmpty()) {
          out.flush();
        }
      }
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
      closeQuietly(channel);
      sessions.release();
    }
  }

  /**
   * Acknowledges what arrives at once (TCP_QUICKACK, Linux). Postfix streams headers and body
   * chunks without waiting for a reply (we asked for no reply): with its Nagle on and our ACK
   * delayed, each message would otherwise wait for the delayed-ACK timer. Linux leaves quick-ACK
   * mode by itself, so it is set again after every read.
   */
  private static final class QuickAckInput extends java.io.FilterInputStream {
    private final SocketChannel channel;
    private boolean supported = true;

    QuickAckInput(InputStream in, SocketChannel channel) {
      super(in);
      this.channel = channel;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int read = super.read(buffer, offset, length);
      if (supported && read > 0) {
        try {
          channel.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, true);
        } catch (UnsupportedOperationException e) {
          supported = false; // not Linux: Nagle off on our side is all we can do
        }
      }
      return read;
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
    while (open.stream().anyMatch(c -> c.session().inMessage()) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50); // polling at shutdown, not synchronising a test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    open.forEach(connection -> closeQuietly(connection.channel()));
    workers.shutdownNow();
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
