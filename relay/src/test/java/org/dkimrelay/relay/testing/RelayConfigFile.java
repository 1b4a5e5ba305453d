package org.dkimrelay.relay.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A dkimrelay.toml for tests that run the relay as users do: listening on 127.0.0.1 and a free
 * port, forwarding to a local upstream, signing with the keys in {@code keys}.
 */
public final class RelayConfigFile {
  private RelayConfigFile() {}

  /**
   * Writes the file. {@code listen} holds more {@code [listen]} lines; {@code rest} more {@code
   * [signing]} lines and then any further sections.
   */
  public static Path write(Path file, int upstreamPort, Path keys, String listen, String rest)
      throws IOException {
    return Files.writeString(
        file,
        "[listen]\naddress = \"127.0.0.1:0\"\n"
            + listen
            + "[upstream]\naddress = \"127.0.0.1:"
            + upstreamPort
            + "\"\n[signing]\nkeys = \""
            + keys
            + "\"\n"
            + rest);
  }
}
