package org.dkimrelay.relay.milter;

import static org.dkimrelay.relay.milter.MilterProtocol.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.spool.HeaderBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One milter connection's state machine, without a socket: each packet from the MTA goes to {@link
 * #handle}, which returns the packets to answer with (none where the MTA waits for no reply). At
 * end of message the pipeline's verdict becomes inserted {@code DKIM-Signature} fields, or the
 * reply for the MTA to give its client (Postfix MILTER_README; milter8.c for the exact bytes).
 */
final class MilterSession {
  private static final Logger LOG = LoggerFactory.getLogger(MilterSession.class);
  private static final byte[] CRLF = {'\r', '\n'};

  // The macros this session reads; no others are kept, so the macros' memory is bounded.
  private static final Set<String> MACROS_USED = Set.of(AUTHENTICATED_LOGIN, QUEUE_ID);

  private final MessagePipeline pipeline;
  private final MilterPolicy policy;
  private final String connection;

  private boolean optionsNegotiated;
  private int negotiated; // the protocol flags agreed with the MTA
  private Optional<InetAddress> client = Optional.empty();
  private boolean localClient;
  private final Map<String, String> macros = new HashMap<>();

  // The message in progress: present between MAIL and end of message, when it is ours to sign.
  private MessagePipeline.Message message;
  private final HeaderBuffer header; // under the memory budget all sessions share
  private long size;

  MilterSession(
      MessagePipeline pipeline, MilterPolicy policy, String connection, HeaderBuffer header) {
    this.pipeline = pipeline;
    this.policy = policy;
    this.connection = connection;
    this.header = header;
  }

  /** The connection ended: whatever the message in progress held goes back to the budget. */
  void close() {
    resetMessage();
  }

  /** True while a message is between MAIL and end of message (for a graceful stop). */
  boolean inMessage() {
    return message != null;
  }

  /**
   * Handles one packet.
   *
   * @return the answer (empty where the MTA expects none)
   * @throws MilterProtocolException when the packet makes no sense: the connection must close
   */
  List<MilterPacket> handle(MilterPacket packet) {
    // libmilter's state table: option negotiation comes first, and once per connection.
    if (optionsNegotiated == (packet.command() == OPTION_NEGOTIATION)) {
      throw new MilterProtocolException(
          optionsNegotiated
              ? "a second option negotiation"
              : "command '" + (char) packet.command() + "' before option negotiation");
    }
    return switch (packet.command()) {
      case OPTION_NEGOTIATION -> List.of(negotiate(packet));
      case MACRO -> macros(packet);
      case CONNECT -> replyUnless(NO_REPLY_CONNECT, connect(packet));
      case MAIL -> List.of(mail());
      case HEADER -> replyUnless(NO_REPLY_HEADER, header(packet));
      case BODY -> replyUnless(NO_REPLY_BODY, body(packet));
      case BODY_END -> endOfMessage();
      case ABORT -> abort();
      case QUIT_NEW_CONNECTION -> newConnection();
      // Events we asked not to get: an MTA that sends them anyway waits for an answer.
      case HELO, RCPT, DATA, UNKNOWN, HEADERS_END -> List.of(MilterPacket.of(CONTINUE));
      default ->
          throw new MilterProtocolException(
              "unknown command 0x" + Integer.toHexString(packet.command() & 0xFF));
    };
  }

  /**
   * SMFIC_OPTNEG: version 6, "add headers", and {@link MilterProtocol#WANTED} of what is offered.
   */
  private MilterPacket negotiate(MilterPacket packet) {
    int version = packet.number(0);
    int actions = packet.number(4);
    int offered = packet.number(8);
    if (version < 2 || (actions & ADD_HEADERS) == 0) {
      throw new MilterProtocolException(
          "the MTA offers milter protocol " + version + " without adding headers");
    }
    // Flags the MTA does not offer are left out: it then sends those events and awaits a reply.
    negotiated = WANTED & offered;
    optionsNegotiated = true;
    return new MilterPacket.Data()
        .number(Math.min(version, VERSION))
        .number(ADD_HEADERS)
        .number(negotiated)
        .packet(OPTION_NEGOTIATION);
  }

  /**
   * SMFIC_MACRO: the command it belongs to, then name/value pairs. Only the ones this session reads
   * are kept, so a peer sending many large macros holds no memory past the packet.
   */
  private List<MilterPacket> macros(MilterPacket packet) {
    List<String> pairs = packet.strings(1);
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      if (MACROS_USED.contains(pairs.get(i))) {
        macros.put(pairs.get(i), pairs.get(i + 1));
      }
    }
    return List.of();
  }

  /** SMFIC_CONNECT: host name, family, port, address; only the address matters here. */
  private MilterPacket connect(MilterPacket packet) {
    resetMessage();
    macros.clear();
    byte[] data = packet.data();
    int nul = indexOf(data, 0, 0);
    byte family = nul >= 0 && nul + 1 < data.length ? data[nul + 1] : (byte) 'U';
    localClient = family == FAMILY_UNIX;
    client = Optional.empty();
    if ((family == FAMILY_INET || family == FAMILY_INET6) && nul + 4 <= data.length) {
      List<String> address = packet.strings(nul + 4);
      if (!address.isEmpty()) {
        String text = address.get(0);
        client = Cidr.literal(text.startsWith("IPv6:") ? text.substring(5) : text); // Sendmail's
      }
    }
    return MilterPacket.of(CONTINUE);
  }

  /** SMFIC_MAIL: a new message; mail that is not ours is let go at once (SMFIR_ACCEPT). */
  private MilterPacket mail() {
    resetMessage();
    String login = macros.getOrDefault(AUTHENTICATED_LOGIN, "");
    if (!policy.signs(client, localClient, login)) {
      return MilterPacket.of(ACCEPT); // no further events for this message: it passes unsigned
    }
    // the login (SMTP AUTH) decides which authors it may have signed ([senders])
    message = pipeline.begin(session(), Optional.of(login)); // begin drops an empty one
    return MilterPacket.of(CONTINUE);
  }

  /** SMFIC_HEADER: name and value as Postfix has them, lines separated by LF (milter8.c). */
  private MilterPacket header(MilterPacket packet) {
    if (message == null) {
      return MilterPacket.of(CONTINUE);
    }
    byte[] field = MilterHeaders.field(packet, leadingSpace());
    header.write(field);
    size += field.length;
    return MilterPacket.of(CONTINUE);
  }

  /**
   * A packet that {@link MilterPacket#read} skipped because the memory budget was full: a header
   * field lost that way makes the message a temporary failure at its end; any other command that
   * large is not what an MTA sends.
   */
  List<MilterPacket> dropped(byte command) {
    if (command != HEADER) {
      throw new MilterProtocolException(
          "a command '" + (char) command + "' larger than an MTA sends");
    }
    if (message != null) {
      header.lostForMemory();
    }
    return replyUnless(NO_REPLY_HEADER, MilterPacket.of(CONTINUE));
  }

  /** SMFIC_BODY: a chunk of the body, CRLF line endings, exactly as Postfix will deliver it. */
  private MilterPacket body(MilterPacket packet) {
    if (message != null) {
      try {
        message.body().write(packet.data());
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a hash in memory: cannot happen
      }
      size += packet.data().length;
    }
    return MilterPacket.of(CONTINUE);
  }

  /** SMFIC_BODYEOB: sign, then insert the fields at the top and continue; or refuse. */
  private List<MilterPacket> endOfMessage() {
    if (message == null) {
      return List.of(MilterPacket.of(CONTINUE));
    }
    try {
      header.write(CRLF); // the empty line that ends the header block (kept only if all was)
      Verdict verdict =
          header.overflow() != HeaderBuffer.Overflow.NONE
              ? message.refuseHeaderNotKept(header)
              : message.finish(header.toByteArray());
      message.end(who(), verdict, size, "continue");
      if (verdict instanceof Verdict.Refuse refuse) {
        return List.of(MilterHeaders.reply(refuse.reply()));
      }
      List<MilterPacket> answer = new ArrayList<>();
      List<SignatureField> fields = ((Verdict.Send) verdict).fields();
      for (int i = 0; i < fields.size(); i++) {
        answer.add(MilterHeaders.insert(i, fields.get(i), leadingSpace()));
      }
      answer.add(MilterPacket.of(CONTINUE));
      return answer;
    } finally {
      resetMessage();
    }
  }

  private List<MilterPacket> abort() {
    resetMessage();
    return List.of();
  }

  /** SMFIC_QUIT_NC: the MTA reuses this connection for another SMTP session. */
  private List<MilterPacket> newConnection() {
    resetMessage();
    macros.clear();
    client = Optional.empty();
    localClient = false;
    return List.of();
  }

  private boolean leadingSpace() {
    return (negotiated & HEADER_LEADING_SPACE) != 0;
  }

  private List<MilterPacket> replyUnless(int noReplyFlag, MilterPacket reply) {
    return (negotiated & noReplyFlag) != 0 ? List.of() : List.of(reply);
  }

  private void resetMessage() {
    message = null;
    header.reset();
    size = 0;
  }

  /** The MTA's queue id when it sent one (macro i), so our log lines match Postfix's. */
  private String session() {
    String queueId = macros.get(QUEUE_ID);
    return queueId != null && !queueId.isEmpty() ? connection + "/" + queueId : connection;
  }

  /** This session in the log: the connection (and queue id), and the SMTP client. */
  private String who() {
    return "milter="
        + session()
        + " client="
        + client.map(InetAddress::getHostAddress).orElse(localClient ? "local" : "unknown");
  }

  private static int indexOf(byte[] data, int value, int from) {
    for (int i = from; i < data.length; i++) {
      if (data[i] == value) {
        return i;
      }
    }
    return -1;
  }
}
