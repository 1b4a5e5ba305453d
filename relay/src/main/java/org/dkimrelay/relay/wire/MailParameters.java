package org.dkimrelay.relay.wire;

import java.util.function.Predicate;

/**
 * The MAIL FROM parameters a client gave that matter to upstream: the declared size (RFC 1870),
 * BODY=8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531).
 */
public record MailParameters(long size, boolean eightBitMime, boolean smtpUtf8) {
  public static final MailParameters NONE = new MailParameters(0, false, false);

  /** The MAIL command with those of the parameters that the server's EHLO {@code offered}. */
  public String mailCommand(String reversePath, Predicate<String> offered) {
    StringBuilder command = new StringBuilder("MAIL FROM:<").append(reversePath).append('>');
    if (size > 0 && offered.test("SIZE")) {
      command.append(" SIZE=").append(size);
    }
    if (eightBitMime && offered.test("8BITMIME")) {
      command.append(" BODY=8BITMIME");
    }
    if (smtpUtf8 && offered.test("SMTPUTF8")) {
      command.append(" SMTPUTF8");
    }
    return command.toString();
  }
}
