package org.dkimrelay.relay.service;

/** The relay cannot start as configured; the message says what to fix, in one line. */
public final class ServiceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ServiceException(String message) {
    super(message);
  }
}
