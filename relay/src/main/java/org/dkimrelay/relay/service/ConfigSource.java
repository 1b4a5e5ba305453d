package org.dkimrelay.relay.service;

import java.nio.file.Path;
import java.util.Optional;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.relay.config.RelayConfig;

/**
 * Where the running relay gets its configuration and keys: once at start, again at every reload
 * (SIGHUP). The CLI reads {@code --config} and {@code --keys}; tests hand over their own.
 */
public interface ConfigSource {
  /** Reads the configuration again. @throws ServiceException when it is unreadable or invalid */
  RelayConfig read();

  /** The keys directory for {@code config} ({@code --keys} may override it). */
  KeyDirectory keys(RelayConfig config);

  /** The configuration file {@link #read} reads, if there is one. */
  Optional<Path> file();
}
