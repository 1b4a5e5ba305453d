package org.dkimrelay.relay.milter;

import static org.dkimrelay.relay.milter.MilterProtocol.INSERT_HEADER;
import static org.dkimrelay.relay.milter.MilterProtocol.REPLY_CODE;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.reply.SmtpReply;

/**
 * How header fields and replies travel in milter packets (Postfix's milter8.c has the exact bytes):
 * values fold with LF, not CRLF, and without SMFIP_HDR_LEADSPC the one space after the colon is
 * left out both ways.
 */
final class MilterHeaders {
  private static final int CRLF_LENGTH = 2;

  private MilterHeaders() {}

  /** SMFIC_HEADER (name, value) as the field's bytes in the message, CRLF-terminated. */
  static byte[] field(MilterPacket packet, boolean leadingSpace) {
    List<String> parts = packet.strings(0);
    if (parts.isEmpty()) {
      throw new MilterProtocolException("a header without a name");
    }
    String value = parts.size() > 1 ? parts.get(1) : "";
    if (!leadingSpace && !value.isEmpty()) {
      value = " " + value; // without SMFIP_HDR_LEADSPC Postfix ate one space after the colon
    }
    return (parts.get(0) + ":" + value.replace("\n", "\r\n") + "\r\n")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * SMFIR_INSHEADER at {@code index}: Postfix counts from below its own Received: field, so index 0
   * is the top of the message as the client sent it. The value keeps its leading space when we got
   * SMFIP_HDR_LEADSPC and folds with LF, as Sendmail's milters do.
   */
  static MilterPacket insert(int index, SignatureField field, boolean leadingSpace) {
    String text = field.text();
    int colon = text.indexOf(':');
    String value = text.substring(colon + 1, text.length() - CRLF_LENGTH).replace("\r\n", "\n");
    if (!leadingSpace) {
      value = value.stripLeading();
    }
    return new MilterPacket.Data()
        .number(index)
        .string(text.substring(0, colon))
        .string(value)
        .packet(INSERT_HEADER);
  }

  /**
   * SMFIR_REPLYCODE: the MTA gives this reply to its client. Postfix reads "%" as an escape
   * (milter8.c), so a literal one is doubled.
   */
  static MilterPacket reply(SmtpReply reply) {
    String line = reply.wire().replace("%", "%%");
    return new MilterPacket.Data().string(line).packet(REPLY_CODE);
  }
}
