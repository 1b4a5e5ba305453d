package org.dkimrelay.relay.cli;

/** The exit status of every command: 0 ok, 1 a check failed, 2 usage or configuration error. */
final class ExitCode {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;

  private ExitCode() {}
}
