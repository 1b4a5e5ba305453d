package org.dkimrelay.relay.service;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Why a listening address could not be bound, as one line that says what to do. The JDK reports
 * every cause as the same exception class with the operating system's words; an admin needs the
 * cause and the fix, never the class name.
 */
final class BindFailure {

  private BindFailure() {}

  /**
   * @param section the configuration section that names the address, such as {@code [milter]}
   * @param usualSuspect what else is likely to hold the address, such as {@code OpenDKIM}
   * @param socket the unix socket path, when the address is one
   * @param port the TCP port, when the address is one
   */
  static String describe(
      String section,
      String usualSuspect,
      Optional<Path> socket,
      Optional<Integer> port,
      Throwable failure) {
    Optional<Path> directory = socket.map(Path::toAbsolutePath).map(Path::getParent);
    if (directory.isPresent() && !Files.isDirectory(directory.get())) {
      return "the directory "
          + directory.get()
          + " does not exist: create it, writable by the user dkimrelay runs as";
    }
    String cause = rootMessage(failure);
    if (cause.contains("Address already in use")) {
      return "the address is in use: is "
          + usualSuspect
          + " still running on it? Stop it, or choose another "
          + section
          + " address";
    }
    if (cause.contains("Permission denied")) {
      String user = System.getProperty("user.name");
      if (directory.isPresent()) {
        return "permission denied: the user "
            + user
            + " cannot create the socket in "
            + directory.get()
            + ": chown "
            + user
            + " "
            + directory.get()
            + ", or choose a directory it may write";
      }
      if (port.isPresent() && port.get() < 1024) {
        return "permission denied: port "
            + port.get()
            + " is below 1024, which needs root or the CAP_NET_BIND_SERVICE capability"
            + " (AmbientCapabilities=CAP_NET_BIND_SERVICE in a systemd unit);"
            + " or choose a port above 1023";
      }
      return "permission denied for the user " + user;
    }
    return cause;
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }
}
