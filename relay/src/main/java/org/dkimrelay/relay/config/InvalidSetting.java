package org.dkimrelay.relay.config;

/** A setting that is wrong within its table; {@code table} names the table in the message. */
final class InvalidSetting extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final String table;

  InvalidSetting(String table, String message) {
    super(message);
    this.table = table;
  }

  /** The dotted table name ({@code listen.tls}), or "" for the file as a whole. */
  String table() {
    return table;
  }
}
