package org.dkimrelay.relay.cli;

import org.dkimrelay.keys.MailDnsPlan;
import picocli.CommandLine.Option;

/** {@code --ttl} and {@code --json}, for the commands that print a key's TXT record. */
final class RecordOptions {
  @Option(
      names = "--ttl",
      paramLabel = "SECONDS",
      defaultValue = "" + MailDnsPlan.DEFAULT_TTL,
      description = "TTL of the printed record (default: ${DEFAULT-VALUE}).")
  int ttl;

  @Option(names = "--json", description = "Print the record as JSON, for automation.")
  boolean json;

  /** RFC 2181 §8 allows 0 to 2^31-1; under a minute or over a week is a mistake here. */
  int ttl() {
    if (ttl < 60 || ttl > 604800) {
      throw new UserError("--ttl must be between 60 and 604800 seconds, not " + ttl);
    }
    return ttl;
  }
}
