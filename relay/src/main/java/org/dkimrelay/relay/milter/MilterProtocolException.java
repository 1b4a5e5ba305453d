package org.dkimrelay.relay.milter;

/** The MTA sent something that is not the milter protocol: the connection is closed. */
final class MilterProtocolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  MilterProtocolException(String message) {
    super(message);
  }
}
