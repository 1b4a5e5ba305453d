package org.dkimrelay.relay.spool;

/** The message was read to its end but cannot be kept; the reason says which limit it broke. */
public final class SpoolException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Which limit. */
  public enum Reason {
    MESSAGE_TOO_LARGE,
    HEADER_TOO_LARGE
  }

  private final Reason reason;

  SpoolException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
