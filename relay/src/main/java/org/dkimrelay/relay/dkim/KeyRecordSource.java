package org.dkimrelay.relay.dkim;

import java.util.List;

/** Where verification finds key records: DNS, or records given on the command line. */
public interface KeyRecordSource {

  /**
   * The TXT records at {@code name} (such as {@code s1._domainkey.example.com}), each with its
   * strings joined; empty when the name has none.
   *
   * @throws LookupFailure when the answer could not be had (timeout, SERVFAIL): a temporary error
   */
  List<String> keyRecords(String name) throws LookupFailure;

  /** The lookup failed for a reason that may pass; not the same as "no record". */
  final class LookupFailure extends Exception {
    private static final long serialVersionUID = 1L;

    public LookupFailure(String message) {
      super(message);
    }
  }
}
