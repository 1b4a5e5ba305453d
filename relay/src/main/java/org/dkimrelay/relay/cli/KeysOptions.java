package org.dkimrelay.relay.cli;

import java.nio.file.Path;
import org.dkimrelay.keys.KeyDirectory;
import picocli.CommandLine.Option;

/** {@code --keys DIR}, shared by every command that reads or writes keys. */
final class KeysOptions {
  static final String DEFAULT_KEYS_DIR = "conf/keys";

  @Option(
      names = "--keys",
      paramLabel = "DIR",
      description = "Keys directory (default: conf/keys in the dkimrelay directory).")
  Path keys;

  /** The directory to use: {@code --keys} as given, else the default under {@code home}. */
  KeyDirectory directory(CliContext context) {
    return new KeyDirectory(keys != null ? keys : context.home().resolve(DEFAULT_KEYS_DIR));
  }
}
