package org.dkimrelay.relay.service;

import java.io.PrintWriter;
import org.dkimrelay.relay.config.RelayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the running relay tells its admin (a rotation step, a key seen or lost in DNS, a reload's
 * warning), on one channel: standard output with {@code log.format = "text"}, the JSON log with
 * {@code "json"}. Never both: under systemd both reach the journal, and each line appeared twice.
 */
final class Announcer {
  private static final Logger LOG = LoggerFactory.getLogger("dkimrelay");

  private final PrintWriter out;
  private final boolean json;

  Announcer(PrintWriter out, RelayConfig.LogFormat format) {
    this.out = out;
    this.json = format == RelayConfig.LogFormat.JSON;
  }

  /** Something that happened as it should (a rotation step). */
  void info(String line) {
    if (json) {
      LOG.info(line);
    } else {
      print(line);
    }
  }

  /** Something the admin should act on or know went wrong. */
  void warn(String line) {
    if (json) {
      LOG.warn(line);
    } else {
      print(line);
    }
  }

  private void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
