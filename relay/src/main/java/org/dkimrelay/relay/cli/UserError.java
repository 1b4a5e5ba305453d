package org.dkimrelay.relay.cli;

/** A failure the user can fix; printed as one line, exit status 2. */
final class UserError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UserError(String message) {
    super(message);
  }
}
