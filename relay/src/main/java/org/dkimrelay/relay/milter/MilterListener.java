package org.dkimrelay.relay.milter;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;
import java.util.Set;
import org.dkimrelay.relay.config.HostPort;
import org.dkimrelay.relay.config.MilterAddress;

/**
 * The milter's listening socket: TCP, or a unix socket with the mode and group the MTA needs to
 * connect (the configuration has already refused a mode that lets others in).
 */
final class MilterListener {
  private static final int BACKLOG = 512;

  private MilterListener() {}

  static ServerSocketChannel bind(
      MilterAddress address, String socketMode, Optional<String> socketGroup) throws IOException {
    if (address.inet().isPresent()) {
      HostPort inet = address.inet().orElseThrow();
      ServerSocketChannel channel = ServerSocketChannel.open();
      channel.bind(new InetSocketAddress(InetAddress.getByName(inet.host()), inet.port()), BACKLOG);
      return channel;
    }
    Path path = address.unix().orElseThrow();
    if (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path)) {
      Files.delete(path); // a socket left by an earlier run; bind cannot reuse it
    }
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    channel.bind(UnixDomainSocketAddress.of(path), BACKLOG);
    Set<PosixFilePermission> mode = PosixFilePermissions.fromString(permissions(socketMode));
    Files.setPosixFilePermissions(path, mode);
    if (socketGroup.isPresent()) {
      try {
        GroupPrincipal group =
            path.getFileSystem()
                .getUserPrincipalLookupService()
                .lookupPrincipalByGroupName(socketGroup.get());
        Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(group);
      } catch (IOException e) {
        channel.close();
        Files.deleteIfExists(path); // no socket left behind that nobody may use
        throw new IOException(groupFailure(socketGroup.get(), e)); // the whole story, no cause
      }
    }
    return channel;
  }

  /** Why the socket cannot be given to {@code group}, with what to do. */
  private static String groupFailure(String group, IOException e) {
    String user = System.getProperty("user.name");
    if (e instanceof UserPrincipalNotFoundException) {
      return "socket-group: there is no group " + group + " on this system";
    }
    return "socket-group: the user "
        + user
        + " may not give the socket to the group "
        + group
        + ", not being in it: add it (usermod -aG "
        + group
        + " "
        + user
        + ", or SupplementaryGroups="
        + group
        + " in the systemd unit)";
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
}
