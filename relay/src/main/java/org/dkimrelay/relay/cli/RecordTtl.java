package org.dkimrelay.relay.cli;

/** RFC 2181 §8: a TTL is 0 to 2^31-1 seconds; a few seconds or a week or more is a mistake here. */
final class RecordTtl {
  private RecordTtl() {}

  static int check(int ttl) {
    if (ttl < 60 || ttl > 604800) {
      throw new UserError("--ttl must be between 60 and 604800 seconds, not " + ttl);
    }
    return ttl;
  }
}
