package org.dkimrelay.relay.dkim;

/** The header block cannot be signed safely; the message says why, in one line. */
public class MalformedMessageException extends Exception {
  private static final long serialVersionUID = 1L;

  public MalformedMessageException(String reason) {
    super(reason);
  }
}
