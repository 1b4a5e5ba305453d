package org.dkimrelay.relay.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.relay.config.ConfigException;
import org.dkimrelay.relay.config.ConfigLoader;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.service.ConfigSource;
import org.dkimrelay.relay.service.ServiceException;
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

  /**
   * The configuration file and keys directory of this command line, for the signing runtime: read
   * again at each reload.
   */
  ConfigSource source(CliContext context) {
    return new ConfigSource() {
      @Override
      public RelayConfig read() {
        loaded = null;
        try {
          return config(context);
        } catch (UserError e) {
          throw new ServiceException(e.getMessage());
        }
      }

      @Override
      public KeyDirectory keys(RelayConfig config) {
        return directory(context);
      }

      @Override
      public Optional<Path> file() {
        return Optional.of(configFile(context)); // watched even while absent
      }
    };
  }

  /** {@code --keys} as given, else the configuration's {@code signing.keys}. */
  KeyDirectory directory(CliContext context) {
    return new KeyDirectory(keys != null ? keys : config(context).signing().keys());
  }
}
