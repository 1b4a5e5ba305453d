package org.dkimrelay.relay.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.spool.SpoolException;
import org.dkimrelay.relay.spool.SpooledMessage;
import org.dkimrelay.relay.spool.Spooler;

/** Reads the message on standard input once, as the relay reads a DATA phase. */
final class MessageInput {
  static final int MEMORY_THRESHOLD = 1024 * 1024;
  static final int MAX_HEADER_BYTES = 4 * 1024 * 1024;

  private MessageInput() {}

  /** Lines longer than {@code lineLengthLimit} come out broken, as an MTA would send them. */
  static SpooledMessage read(CliContext context, OutputStream bodyTap, int lineLengthLimit) {
    Spooler spooler =
        new Spooler(
            Path.of(System.getProperty("java.io.tmpdir")),
            MEMORY_THRESHOLD,
            new MemoryBudget(MAX_HEADER_BYTES + MEMORY_THRESHOLD), // one message's header and body
            MAX_HEADER_BYTES,
            Long.MAX_VALUE,
            lineLengthLimit);
    try {
      return spooler.spool(context.stdin(), bodyTap);
    } catch (SpoolException e) {
      throw new UserError("cannot read the message: " + e.getMessage());
    } catch (IOException e) {
      throw new UserError("cannot read the message: " + e.getMessage());
    }
  }
}
