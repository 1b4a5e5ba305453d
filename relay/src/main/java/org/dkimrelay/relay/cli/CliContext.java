package org.dkimrelay.relay.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * What commands take from the outside world, passed in so tests control it: the clock (date-based
 * selectors, signature timestamps), randomness (key generation), the installation directory that
 * relative defaults such as {@code conf/keys} resolve against, and the raw standard streams that
 * {@code sign} and {@code verify} read and write as bytes.
 */
record CliContext(
    Clock clock, SecureRandom random, Path home, InputStream stdin, OutputStream stdout) {

  /**
   * The launcher sets {@code dkimrelay.home}; otherwise defaults resolve against the working
   * directory.
   */
  static CliContext system() {
    String home = System.getProperty("dkimrelay.home", System.getenv("DKIMRELAY_HOME"));
    return new CliContext(
        Clock.systemUTC(),
        new SecureRandom(),
        Path.of(home == null || home.isBlank() ? "" : home).toAbsolutePath(),
        System.in,
        System.out);
  }
}
