package org.dkimrelay.relay.upstream;

/**
 * The MAIL FROM parameters a client gave that matter to upstream: the declared size (RFC 1870),
 * BODY=8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531).
 */
public record MailParameters(long size, boolean eightBitMime, boolean smtpUtf8) {
  public static final MailParameters NONE = new MailParameters(0, false, false);
}
