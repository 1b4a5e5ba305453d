package org.dkimrelay.relay.config;

/** The configuration cannot be used; the message names the file, the line and what is wrong. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
