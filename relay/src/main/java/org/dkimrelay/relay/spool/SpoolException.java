package org.dkimrelay.relay.spool;

/** The message was read to its end but cannot be kept; the reason says why. */
public final class SpoolException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Which limit, or the spool's own failure. */
  public enum Reason {
    MESSAGE_TOO_LARGE,
    HEADER_TOO_LARGE,
    /** The memory all messages in progress may take is full: temporary, the MTA should retry. */
    MEMORY_BUDGET_FULL,
    /** The spool file could not be written: a temporary condition, the MTA should retry. */
    NO_SPOOL_SPACE
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
