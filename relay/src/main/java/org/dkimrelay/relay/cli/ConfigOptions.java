package org.dkimrelay.relay.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.relay.config.ConfigException;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.config.SigningSetup;
import org.dkimrelay.relay.dkim.SigningEngine;
import picocli.CommandLine.Option;

/** {@code --config FILE} and {@code --keys DIR}, shared by every command that uses keys. */
final class ConfigOptions {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Configuration file (default: conf/dkimrelay.toml if present).")
  Path config;

  @Option(
      names = "--keys",
      paramLabel = "DIR",
      description = "Keys directory (default: the config's signing.keys, conf/keys).")
  Path keys;

  private RelayConfig loaded;

  /** The configuration: {@code --config}, else the default file if it exists, else defaults. */
  RelayConfig config(CliContext context) {
    if (loaded == null) {
      Path file = config != null ? config : context.defaultConfig();
      try {
        loaded =
            config != null || Files.exists(file)
                ? ConfigLoader.load(file, context.home())
                : RelayConfig.defaults().resolvedAgainst(context.home());
      } catch (ConfigException e) {
        throw new UserError(e.getMessage());
      }
    }
    return loaded;
  }

  /**
   * The configuration file in use: {@code --config}, else the default one (which may not exist).
   */
  Path configFile(CliContext context) {
    return config != null ? config : context.defaultConfig();
  }

  /** Reads the configuration file again (SIGHUP); the next {@link #engine} uses it. */
  RelayConfig reload(CliContext context) {
    loaded = null;
    return config(context);
  }

  /** The signing engine with every key of the keys directory, loaded and checked once. */
  SigningEngine engine(CliContext context) {
    try {
      return SigningSetup.load(config(context).signing(), directory(context), context.clock());
    } catch (ConfigException e) {
      throw new UserError(e.getMessage());
    }
  }

  /** {@code --keys} as given, else the configuration's {@code signing.keys}. */
  KeyDirectory directory(CliContext context) {
    return new KeyDirectory(keys != null ? keys : config(context).signing().keys());
  }
}
