package org.dkimrelay.relay.smtp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.upstream.UpstreamSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.auth.LoginAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.MultipleAuthenticationHandlerFactory;
import org.subethamail.smtp.auth.PlainAuthenticationHandlerFactory;
import org.subethamail.smtp.internal.server.CommandHandler;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * The inbound SMTP server (the only user of SubEthaSMTP): SubEthaSMTP for sockets, sessions and
 * command parsing; our commands for EHLO, MAIL, RCPT and DATA, where the relay's behaviour lives.
 */
public final class RelayServer {
  private static final Logger LOG = LoggerFactory.getLogger(RelayServer.class);
  // Sessions above max-sessions are refused by us with 421 4.3.2; SubEthaSMTP's own limit, which
  // answers without an enhanced code and stops accepting once reached, is kept out of the way: a
  // burst of connections is answered at once, each refused one costs a thread for a moment.
  private static final int LIBRARY_CONNECTION_HEADROOM = 512;
  // SubEthaSMTP's default listen queue of 50 overflows in a burst, and the kernel then drops SYNs:
  // those clients wait 1, 3, 7... s for a greeting or a 421 (the kernel caps it at somaxconn).
  private static final int LISTEN_BACKLOG = 1024;

  private final SMTPServer server;
  private final SessionRegistry sessions;
  private final RelayContext context;
  private final Duration paceCheck;
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "dkimrelay-slow-clients");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * Where and how to listen. {@code timeout}: the longest a client may take over one command line
   * (and the idle limit); {@code minDataRate}: bytes per second a message must arrive at, once it
   * has taken longer than {@code timeout}; {@code tls}: offer STARTTLS with this identity; {@code
   * usersFile}: require SMTP AUTH (inside TLS) against these users.
   */
  public record Listen(
      String host,
      int port,
      List<Cidr> allow,
      int maxSessions,
      long maxMessageSize,
      String hostName,
      Duration timeout,
      long minDataRate,
      Optional<TlsFiles> tls,
      Optional<Path> usersFile) {}

  /** The PEM certificate chain and private key for inbound STARTTLS. */
  public record TlsFiles(Path certificate, Path key) {}

  public RelayServer(
      Listen listen, MessagePipeline pipeline, Spooler spooler, UpstreamSettings upstream) {
    this.context = new RelayContext(pipeline, spooler, upstream, listen.maxMessageSize());
    this.sessions =
        new SessionRegistry(
            context, listen.allow(), listen.maxSessions(), listen.timeout(), listen.minDataRate());
    Optional<ServerTls> tls =
        listen.tls().map(files -> ServerTls.load(files.certificate(), files.key()));
    Optional<UsersFile> users = listen.usersFile().map(UsersFile::load);
    InboundSecurity security = new InboundSecurity(tls.isPresent(), users.isPresent());
    // Often enough to cut a slow client off close to its deadline, rarely enough to cost nothing.
    this.paceCheck =
        Duration.ofMillis(Math.max(100, Math.min(1000, listen.timeout().toMillis() / 5)));
    pipeline.metrics().sessions(sessions::openSessions);
    try {
      SMTPServer.Builder builder = SMTPServer.port(listen.port());
      tls.ifPresent(creator -> builder.enableTLS().startTlsSocketFactory(creator));
      users.ifPresent(validator -> builder.authenticationHandlerFactory(plainOrLogin(validator)));
      this.server =
          builder
              .bindAddress(InetAddress.getByName(listen.host()))
              .hostName(listen.hostName()) // no reverse lookup at start-up
              .softwareName("dkimrelay")
              .insertReceivedHeaders(false) // we forward the bytes we were given
              .maxMessageSize((int) Math.min(Integer.MAX_VALUE, listen.maxMessageSize()))
              .maxConnections(listen.maxSessions() + LIBRARY_CONNECTION_HEADROOM)
              .backlog(LISTEN_BACKLOG)
              // ClientPace cuts idle clients off first, with our 421 4.4.2; the socket's timeout
              // is the backstop (PacedCommand turns it into the same reply inside DATA).
              .connectionTimeout(
                  (int) (listen.timeout().toMillis() + 2 * paceCheck.toMillis()),
                  TimeUnit.MILLISECONDS)
              .sessionHandler(sessions)
              .messageHandlerFactory(
                  context -> new RelayMessageHandler(sessions.of((Session) context)))
              .build();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("listen.address: cannot use '" + listen.host() + "'");
    }
    installCommands(server.getCommandHandler(), sessions, security);
  }

  private static MultipleAuthenticationHandlerFactory plainOrLogin(UsersFile users) {
    return new MultipleAuthenticationHandlerFactory(
        List.of(
            new PlainAuthenticationHandlerFactory(users),
            new LoginAuthenticationHandlerFactory(users)));
  }

  /** Our commands in place of SubEthaSMTP's, each under the pace watchdog. */
  private static void installCommands(
      CommandHandler commands, SessionRegistry sessions, InboundSecurity security) {
    commands.addCommand(new RelayEhloCommand(sessions, security));
    commands.addCommand(new RelayMailCommand(sessions, security));
    commands.addCommand(new RelayRcptCommand(sessions));
    commands.addCommand(new TlsOnlyAuthCommand(commands.getCommand("AUTH"), sessions, security));
    commands.addCommand(new RelayDataCommand(sessions));
    commands.addCommand(new UnsupportedCommand("BDAT", Replies.BDAT_NOT_SUPPORTED));
    for (String verb : List.copyOf(commands.getVerbs())) {
      commands.addCommand(new PacedCommand(commands.getCommand(verb), sessions));
    }
  }

  public void start() {
    server.start();
    watchdog.scheduleWithFixedDelay(
        () -> sessions.closeOverdue(System.nanoTime()),
        paceCheck.toMillis(),
        paceCheck.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Sessions from now on reach upstream with {@code settings} (a reload's new password). */
  public void upstream(UpstreamSettings settings) {
    context.upstream(settings);
  }

  /** The port listened on (the one chosen, when configured as 0). */
  public int port() {
    return server.getPortAllocated();
  }

  /** The first step of {@link #stop}: from now on new connections get 421 4.3.2. */
  public void stopAdmitting() {
    sessions.stopAdmitting();
  }

  /**
   * Stops gracefully: new connections get 421 4.3.2, transactions in flight may finish within
   * {@code grace}, then every connection is closed. A transaction cut off here was not answered
   * 250, so the MTA still has the message.
   */
  public void stop(Duration grace) {
    stopAdmitting();

    long deadline = System.nanoTime() + grace.toNanos();
    while (context.openTransactions() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50); // polling a counter at shutdown, not synchronising a test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (context.openTransactions() > 0) {
      LOG.warn(
          "stopping with {} transaction(s) still open; the MTA keeps those messages",
          context.openTransactions());
    }
    watchdog.shutdownNow();
    server.stop();
  }
}
