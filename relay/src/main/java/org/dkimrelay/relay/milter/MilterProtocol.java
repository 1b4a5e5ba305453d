package org.dkimrelay.relay.milter;

/**
 * The Sendmail milter protocol, version 6, as Postfix speaks it: the names are those of libmilter's
 * {@code mfdef.h}, which Postfix's {@code src/milter/milter8.c} copies. Only what dkimrelay sends
 * or must recognise is here.
 */
final class MilterProtocol {
  static final int VERSION = 6;

  // Commands, MTA to milter (SMFIC_*).
  static final byte ABORT = 'A';
  static final byte BODY = 'B';
  static final byte CONNECT = 'C';
  static final byte MACRO = 'D';
  static final byte BODY_END = 'E'; // SMFIC_BODYEOB: end of message
  static final byte HELO = 'H';
  static final byte HEADER = 'L';
  static final byte MAIL = 'M';
  static final byte HEADERS_END = 'N'; // SMFIC_EOH
  static final byte OPTION_NEGOTIATION = 'O';
  static final byte QUIT = 'Q';
  static final byte RCPT = 'R';
  static final byte DATA = 'T';
  static final byte UNKNOWN = 'U';
  static final byte QUIT_NEW_CONNECTION = 'K'; // SMFIC_QUIT_NC: same socket, next SMTP session

  // Responses, milter to MTA (SMFIR_*).
  static final byte ACCEPT = 'a';
  static final byte CONTINUE = 'c';
  static final byte INSERT_HEADER = 'i';
  static final byte REPLY_CODE = 'y';

  // Actions the milter may take (SMFIF_*): we only ever add header fields.
  static final int ADD_HEADERS = 0x01;

  // Protocol flags (SMFIP_*): events the MTA need not send, replies it need not wait for.
  static final int NO_CONNECT = 1 << 0;
  static final int NO_HELO = 1 << 1;
  static final int NO_RCPT = 1 << 3;
  static final int NO_HEADERS_END = 1 << 6;
  static final int NO_REPLY_HEADER = 1 << 7;
  static final int NO_UNKNOWN = 1 << 8;
  static final int NO_DATA = 1 << 9;
  static final int NO_REPLY_CONNECT = 1 << 12;
  static final int NO_REPLY_BODY = 1 << 19;
  static final int HEADER_LEADING_SPACE = 1 << 20;

  /**
   * What we ask for: connect (the client address), MAIL (its macros say whether the client
   * authenticated, and our answer can let foreign mail go), headers, body and end of message;
   * headers as received, leading space included; no reply awaited for connect, headers and body
   * chunks, so Postfix streams them without a round trip each.
   */
  static final int WANTED =
      NO_HELO
          | NO_RCPT
          | NO_DATA
          | NO_UNKNOWN
          | NO_HEADERS_END
          | NO_REPLY_CONNECT
          | NO_REPLY_HEADER
          | NO_REPLY_BODY
          | HEADER_LEADING_SPACE;

  // Macros (Sendmail's names, which Postfix sends): the SMTP AUTH login, and the queue id.
  static final String AUTHENTICATED_LOGIN = "{auth_authen}";
  static final String QUEUE_ID = "i";

  // Connect address families (SMFIA_*).
  static final byte FAMILY_UNIX = 'L';
  static final byte FAMILY_INET = '4';
  static final byte FAMILY_INET6 = '6';

  private MilterProtocol() {}
}
