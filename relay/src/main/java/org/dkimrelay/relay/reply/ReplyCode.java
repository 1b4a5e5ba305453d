package org.dkimrelay.relay.reply;

/** The SMTP reply codes dkimrelay checks for by name (RFC 5321 §4.2.2, RFC 4954 §4). */
public final class ReplyCode {
  public static final int SERVICE_READY = 220;
  public static final int AUTHENTICATION_SUCCEEDED = 235; // RFC 4954 §6
  public static final int OK = 250;
  public static final int SERVER_CHALLENGE = 334; // RFC 4954 §4
  public static final int START_MAIL_INPUT = 354;
  public static final int SERVICE_NOT_AVAILABLE = 421;

  private ReplyCode() {}
}
