package org.dkimrelay.relay.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.dkimrelay.relay.config.MilterConfig;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.milter.MilterServer;
import org.dkimrelay.relay.smtp.RelayServer;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.spool.Spooler;
import org.dkimrelay.relay.upstream.TlsContexts;
import org.dkimrelay.relay.upstream.UpstreamSettings;

/** Builds each front-end's settings from the configuration: the one place that maps them. */
public final class Frontends {
  // A body up to 4 MiB stays in memory (most mail: never a disk write), as long as all bodies in
  // memory at once take at most a quarter of the heap, 64 MiB at most; larger ones go to a file.
  static final int SPOOL_MEMORY_THRESHOLD = 4 * 1024 * 1024;
  static final long SPOOL_MEMORY_BUDGET =
      Math.min(64L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4);
  static final int MAX_HEADER_BYTES = 4 * 1024 * 1024;

  private Frontends() {}

  static RelayServer.Listen listen(RelayConfig config) {
    RelayConfig.Listen listen = config.listen();
    return new RelayServer.Listen(
        listen.address().host(),
        listen.address().port(),
        listen.allow(),
        listen.maxSessions(),
        listen.maxMessageSize().bytes(),
        listen.hostname(),
        listen.timeout().duration(),
        listen.minDataRate(),
        listen.tls().map(tls -> new RelayServer.TlsFiles(tls.certificate(), tls.key())),
        listen.usersFile());
  }

  static Optional<MilterServer.Settings> milter(RelayConfig config, MemoryBudget budget) {
    MilterConfig milter = config.milter();
    return milter
        .address()
        .map(
            address ->
                new MilterServer.Settings(
                    address,
                    milter.allow(),
                    milter.internal(),
                    milter.authenticated(),
                    milter.socketMode(),
                    milter.socketGroup(),
                    milter.maxSessions(),
                    milter.timeout().duration(),
                    MAX_HEADER_BYTES,
                    budget));
  }

  /** The memory that messages in progress in every front-end of this process share. */
  public static MemoryBudget memoryBudget() {
    return new MemoryBudget(SPOOL_MEMORY_BUDGET);
  }

  /**
   * The spool under {@code budget}: private files in a directory of the temp directory that is this
   * user's own ({@code dkimrelay-spool-USER}), since the relay and an OpenSMTPD filter may run as
   * different users on one machine.
   */
  public static Spooler spooler(RelayConfig config, MemoryBudget budget) {
    String user = System.getProperty("user.name");
    Path directory = Path.of(System.getProperty("java.io.tmpdir"), "dkimrelay-spool-" + user);
    try {
      if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectories(
            directory,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      requireOwnPrivate(directory, user);
      Spooler spooler =
          new Spooler(
              directory,
              SPOOL_MEMORY_THRESHOLD,
              budget,
              MAX_HEADER_BYTES,
              config.listen().maxMessageSize().bytes(),
              config.signing().lineLengthLimit());
      spooler.removeStaleFiles(); // left by a process that was killed mid-message
      return spooler;
    } catch (IOException e) {
      throw new ServiceException(
          "cannot use the spool directory " + directory + ": " + e.getMessage());
    }
  }

  /** Another user's directory there could read or swap the messages spooled in it. */
  private static void requireOwnPrivate(Path directory, String user) throws IOException {
    String owner = Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS).getName();
    String mode;
    try {
      mode =
          PosixFilePermissions.toString(
              Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS));
    } catch (UnsupportedOperationException e) {
      return; // a file system without POSIX modes: nothing to check
    }
    if (!owner.equals(user) || !mode.endsWith("------")) {
      throw new ServiceException(
          "the spool directory "
              + directory
              + " belongs to "
              + owner
              + " with mode "
              + mode
              + ", not to "
              + user
              + " alone: remove it and start again");
    }
  }

  static UpstreamSettings upstream(RelayConfig config) {
    RelayConfig.Upstream upstream = config.upstream();
    SSLContext tls;
    try {
      tls =
          upstream.caFile().isPresent()
              ? TlsContexts.trusting(upstream.caFile().get())
              : TlsContexts.systemDefault();
    } catch (IOException | GeneralSecurityException e) {
      throw new ServiceException("upstream.ca-file: " + e.getMessage());
    }
    Optional<UpstreamSettings.Credentials> credentials = Optional.empty();
    if (upstream.username().isPresent()) {
      Path passwordFile = upstream.passwordFile().orElseThrow();
      try {
        credentials =
            Optional.of(UpstreamSettings.Credentials.read(upstream.username().get(), passwordFile));
      } catch (IOException e) {
        // at start (and reload): not a 451 at every message
        throw new ServiceException(
            "upstream.password-file: cannot read " + passwordFile + ": " + e);
      }
    }
    return new UpstreamSettings(
        upstream.address().host(),
        upstream.address().port(),
        UpstreamSettings.TlsMode.valueOf(upstream.starttls().name()),
        tls,
        credentials,
        config.listen().hostname(),
        upstream.connectTimeout().duration(),
        upstream.timeout().duration(),
        upstream.dataTimeout().duration());
  }
}
