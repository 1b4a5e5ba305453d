package org.dkimrelay.relay.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * What commands take from the outside world, passed in so tests control it: the clock (date-based
 * selectors, signature timestamps), randomness (key generation), the installation directory that
 * relative paths such as {@code conf/keys} resolve against, the configuration file used when no
 * {@code --config} is given, and the raw standard streams that {@code sign} and {@code verify} read
 * and write as bytes.
 */
record CliContext(
    Clock clock,
    SecureRandom random,
    Path home,
    Path defaultConfig,
    InputStream stdin,
    OutputStream stdout) {

  static final String DEFAULT_CONFIG = "conf/dkimrelay.toml";

  /** A context with the default configuration file under {@code home}. */
  CliContext(Clock clock, SecureRandom random, Path home, InputStream stdin, OutputStream stdout) {
    this(clock, random, home, home.resolve(DEFAULT_CONFIG), stdin, stdout);
  }

  /**
   * How the admin runs dkimrelay here, for the commands that messages print: the installed command,
   * or in a checkout the launcher (which sets {@code dkimrelay.home} and not {@code
   * dkimrelay.config}).
   */
  String command() {
    boolean checkout =
        System.getProperty("dkimrelay.config") == null
            && System.getProperty("dkimrelay.home") != null;
    return checkout ? home.resolve("scripts/dkimrelay").toString() : "dkimrelay";
  }

  /**
   * The launcher sets {@code dkimrelay.home} (a checkout); an installed wrapper also sets {@code
   * dkimrelay.config}. Without them, paths resolve against the working directory.
   */
  static CliContext system() {
    String homeSetting = System.getProperty("dkimrelay.home", System.getenv("DKIMRELAY_HOME"));
    Path home =
        Path.of(homeSetting == null || homeSetting.isBlank() ? "" : homeSetting).toAbsolutePath();
    String config = System.getProperty("dkimrelay.config");
    return new CliContext(
        Clock.systemUTC(),
        new SecureRandom(),
        home,
        config == null ? home.resolve(DEFAULT_CONFIG) : Path.of(config),
        System.in,
        System.out);
  }
}
