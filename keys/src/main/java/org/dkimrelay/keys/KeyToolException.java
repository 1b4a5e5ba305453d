package org.dkimrelay.keys;

/**
 * A problem the user can fix: bad input, a missing or unsafe file. The message is one line that
 * says what is wrong and what to do; callers print it as it is, without a stack trace.
 */
public final class KeyToolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KeyToolException(String message) {
    super(message);
  }

  public KeyToolException(String message, Throwable cause) {
    super(message, cause);
  }
}
