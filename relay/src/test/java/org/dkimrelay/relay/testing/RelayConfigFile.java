package org.dkimrelay.relay.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A dkimrelay.toml for tests that run the relay as users do: listening on 127.0.0.1 and a free
 * port, forwarding to a local upstream, signing with the keys in {@code keys}, asking no DNS server
 * but one on 127.0.0.1.
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
            + rest
            + (rest.contains("[dns]") ? "" : noResolver()));
  }

  /**
   * A {@code [dns]} section whose resolver is a free UDP port on 127.0.0.1, where nothing answers:
   * a relay under test never asks the system resolver; its key checks fail at once ("lookup
   * failed"), and it signs anyway, as with any DNS outage.
   */
  public static String noResolver() {
    return "[dns]\nresolver = \"127.0.0.1:" + Dnsmasq.freeUdpPort() + "\"\n";
  }
}
