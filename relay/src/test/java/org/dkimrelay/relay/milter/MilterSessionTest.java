package org.dkimrelay.relay.milter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.dkim.BodyHasher;
import org.dkimrelay.relay.dkim.DkimSigner;
import org.dkimrelay.relay.dkim.SenderBinding;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningEngine.Outcome;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dkim.SigningTable;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.spool.HeaderBuffer;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.testing.DefaultPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The milter session as Postfix drives it (milter8.c), packet by packet, without a socket. */
class MilterSessionTest {
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1796000000), ZoneOffset.UTC);
  private static final int POSTFIX_ACTIONS = 0x1FF;
  private static final int POSTFIX_PROTOCOL = 0x1FFFFF; // every SMFIP_ flag of protocol 6
  private static final String BODY = "Hello Bob.\r\n\r\n.leading dot\r\n";

  private static SigningKey ed25519;
  private static SigningKey rsa;

  @BeforeAll
  static void keys() throws Exception {
    DkimKeyGenerator generator = new DkimKeyGenerator(new SecureRandom());
    SigningDomain domain = SigningDomain.parse("example.com");
    ed25519 =
        new SigningKey(generator.generate(domain, Selector.parse("e1"), KeyAlgorithm.ED25519, 0));
    rsa = new SigningKey(generator.generate(domain, Selector.parse("r1"), KeyAlgorithm.RSA, 2048));
  }

  private static SigningEngine engine(boolean rejectUnknown, SigningKey... keys) {
    return new SigningEngine(
        new SigningTable(List.of(keys), true),
        new DkimSigner(DefaultPolicy.signing(), CLOCK),
        rejectUnknown,
        true);
  }

  private static MilterSession session(SigningEngine engine, boolean authenticated) {
    return session(engine, authenticated, new MemoryBudget(1 << 20));
  }

  private static MilterSession session(
      SigningEngine engine, boolean authenticated, MemoryBudget budget) {
    return new MilterSession(
        new MessagePipeline(engine, new RelayMetrics(), false),
        new MilterPolicy(List.of(Cidr.parse("127.0.0.0/8")), authenticated),
        "test",
        new HeaderBuffer(budget, 64 * 1024));
  }

  private static Optional<MilterPacket> read(byte[] bytes, MemoryBudget budget) throws IOException {
    return MilterPacket.read(new ByteArrayInputStream(bytes), budget, () -> {});
  }

  private static MilterPacket optionNegotiation(int protocol) {
    return new MilterPacket.Data()
        .number(6)
        .number(POSTFIX_ACTIONS)
        .number(protocol)
        .packet(MilterProtocol.OPTION_NEGOTIATION);
  }

  /** SMFIC_CONNECT as milter8.c sends it: name, family, port (network order), address. */
  private static MilterPacket connect(String address) {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.writeBytes("client.test\0".getBytes(StandardCharsets.US_ASCII));
    data.write(MilterProtocol.FAMILY_INET);
    data.write(0x30);
    data.write(0x39);
    data.writeBytes((address + "\0").getBytes(StandardCharsets.US_ASCII));
    return new MilterPacket(MilterProtocol.CONNECT, data.toByteArray());
  }

  private static MilterPacket macro(byte command, String... pairs) {
    MilterPacket.Data data = new MilterPacket.Data();
    for (String text : pairs) {
      data.string(text);
    }
    MilterPacket packet = data.packet(MilterProtocol.MACRO);
    byte[] withCommand = new byte[packet.data().length + 1];
    withCommand[0] = command;
    System.arraycopy(packet.data(), 0, withCommand, 1, packet.data().length);
    return new MilterPacket(MilterProtocol.MACRO, withCommand);
  }

  private static MilterPacket header(String name, String value) {
    return new MilterPacket.Data().string(name).string(value).packet(MilterProtocol.HEADER);
  }

  private static MilterPacket body(String text) {
    return new MilterPacket(MilterProtocol.BODY, text.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static MilterPacket mail() {
    return new MilterPacket.Data().string("<alice@example.com>").packet(MilterProtocol.MAIL);
  }

  /** The packets of one message from Postfix, header values with their leading space. */
  private static List<MilterPacket> message(String from) {
    return List.of(
        mail(),
        header("From", " Alice <" + from + ">"),
        header("To", " bob@example.org"),
        header("Subject", " a subject\n\tthat is folded"), // milter8.c: lines joined by LF
        body(BODY),
        MilterPacket.of(MilterProtocol.BODY_END));
  }

  private static List<MilterPacket> drive(MilterSession session, List<MilterPacket> packets) {
    List<MilterPacket> answers = new ArrayList<>();
    for (MilterPacket packet : packets) {
      answers.addAll(session.handle(packet));
    }
    return answers;
  }

  /** What the pipeline itself signs for the header block the milter must rebuild. */
  private static List<DkimSigner.SignatureField> expectedFields(SigningEngine engine)
      throws Exception {
    String headerBlock =
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\n"
            + "Subject: a subject\r\n\tthat is folded\r\n\r\n";
    BodyHasher hasher = engine.newBodyHasher();
    hasher.write(BODY.getBytes(StandardCharsets.US_ASCII), 0, BODY.length());
    Outcome outcome =
        engine.process(
            headerBlock.getBytes(StandardCharsets.US_ASCII), hasher.finish(), Optional.empty());
    return ((Outcome.Signed) outcome).fields();
  }

  private static String insertedValue(MilterPacket insert) {
    List<String> strings = insert.strings(4);
    assertThat(strings.get(0)).isEqualTo("DKIM-Signature");
    return strings.get(1);
  }

  @Test
  void negotiationAsksOnlyForTheEventsSigningNeedsAndForHeadersWithTheirLeadingSpace()
      throws Exception {
    MilterPacket answer =
        session(engine(false, ed25519), true).handle(optionNegotiation(POSTFIX_PROTOCOL)).get(0);
    assertThat(answer.command()).isEqualTo(MilterProtocol.OPTION_NEGOTIATION);
    assertThat(answer.number(0)).isEqualTo(6);
    assertThat(answer.number(4)).isEqualTo(MilterProtocol.ADD_HEADERS);
    int protocol = answer.number(8);
    assertThat(protocol & MilterProtocol.HEADER_LEADING_SPACE).isNotZero();
    assertThat(protocol & (MilterProtocol.NO_CONNECT | 1 << 2 | 1 << 4 | 1 << 5))
        .as("connect, MAIL, body and headers are needed")
        .isZero();
    assertThat(protocol & MilterProtocol.NO_RCPT).isNotZero();
  }

  @Test
  void internalClientsMailGetsTheSignatureInsertedAtTheTopWithoutAnyReplyPerHeader()
      throws Exception {
    SigningEngine engine = engine(false, ed25519);
    MilterSession session = session(engine, false);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    assertThat(session.handle(connect("127.0.0.1"))).isEmpty(); // SMFIP_NR_CONN
    List<MilterPacket> answers = new ArrayList<>();
    for (MilterPacket packet : message("alice@example.com")) {
      answers.addAll(session.handle(packet));
    }
    // MAIL: continue; headers and body: no reply (SMFIP_NR_HDR, NR_BODY); end: insert, continue
    assertThat(answers)
        .extracting(MilterPacket::command)
        .containsExactly(
            MilterProtocol.CONTINUE, MilterProtocol.INSERT_HEADER, MilterProtocol.CONTINUE);
    MilterPacket insert = answers.get(1);
    assertThat(insert.number(0)).as("index: the top of the message").isZero();
    String expected = expectedFields(engine).get(0).text();
    String value = insertedValue(insert);
    assertThat(value).startsWith(" v=1; a=ed25519-sha256;").doesNotContain("\r");
    assertThat("DKIM-Signature:" + value.replace("\n", "\r\n") + "\r\n").isEqualTo(expected);
  }

  @Test
  void twoKeysGiveTwoFieldsInTheOrderTheySign() throws Exception {
    SigningEngine engine = engine(false, rsa, ed25519);
    MilterSession session = session(engine, false);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("127.0.0.1"));
    List<MilterPacket> answers = drive(session, message("alice@example.com"));
    List<MilterPacket> inserts =
        answers.stream().filter(p -> p.command() == MilterProtocol.INSERT_HEADER).toList();
    assertThat(inserts).hasSize(2);
    assertThat(inserts).extracting(p -> p.number(0)).containsExactly(0, 1);
    List<String> expected = expectedFields(engine).stream().map(f -> f.text()).toList();
    assertThat(inserts)
        .extracting(p -> "DKIM-Signature:" + insertedValue(p).replace("\n", "\r\n") + "\r\n")
        .containsExactlyElementsOf(expected);
  }

  @Test
  void mailFromAForeignClientIsLetGoAtMailUnsigned() throws Exception {
    MilterSession session = session(engine(false, ed25519), true);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("192.0.2.7"));
    assertThat(session.handle(mail()))
        .extracting(MilterPacket::command)
        .containsExactly(MilterProtocol.ACCEPT);
  }

  @Test
  void aForeignClientThatAuthenticatedIsSignedUnlessAuthenticatedIsOff() throws Exception {
    for (boolean authenticated : List.of(true, false)) {
      MilterSession session = session(engine(false, ed25519), authenticated);
      session.handle(optionNegotiation(POSTFIX_PROTOCOL));
      session.handle(connect("192.0.2.7"));
      session.handle(macro(MilterProtocol.MAIL, "{auth_authen}", "alice", "i", "4QID"));
      byte expected = authenticated ? MilterProtocol.CONTINUE : MilterProtocol.ACCEPT;
      assertThat(session.handle(mail()))
          .extracting(MilterPacket::command)
          .containsExactly(expected);
    }
  }

  /** One message of a client that logged in as {@code login} (macros as Postfix sends them). */
  private static List<MilterPacket> loggedIn(MilterSession session, String login, String from) {
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("192.0.2.7"));
    session.handle(macro(MilterProtocol.MAIL, "{auth_authen}", login, "i", "4QID"));
    return drive(session, message(from));
  }

  @Test
  void aLoginIsSignedForItsOwnDomainAndRefused5_7_1ForAnother() throws Exception {
    List<MilterPacket> own =
        loggedIn(session(engine(false, ed25519), true), "alice@example.com", "alice@example.com");
    assertThat(own)
        .extracting(MilterPacket::command)
        .containsExactly(
            MilterProtocol.CONTINUE, MilterProtocol.INSERT_HEADER, MilterProtocol.CONTINUE);

    // a forged From: of a domain that has keys here, by a login of another domain
    SigningKey otherKey =
        new SigningKey(
            new DkimKeyGenerator(new SecureRandom())
                .generate(
                    SigningDomain.parse("other.example"),
                    Selector.parse("o1"),
                    KeyAlgorithm.ED25519,
                    0));
    List<MilterPacket> forged =
        loggedIn(
            session(engine(false, ed25519, otherKey), true),
            "alice@example.com",
            "ceo@other.example");
    MilterPacket last = forged.get(forged.size() - 1);
    assertThat(last.command()).isEqualTo(MilterProtocol.REPLY_CODE);
    assertThat(last.strings(0).get(0))
        .startsWith("550 5.7.1 not signing for this sender: login alice@example.com may not sign")
        .contains("other.example");
    assertThat(forged)
        .extracting(MilterPacket::command)
        .doesNotContain(MilterProtocol.INSERT_HEADER);
  }

  @Test
  void aMismatchPassesUnsignedWhenPolicySaysSoButIsNeverSigned() throws Exception {
    SigningEngine passing =
        new SigningEngine(
            new SigningTable(List.of(ed25519), true),
            new DkimSigner(DefaultPolicy.signing(), CLOCK),
            false,
            true,
            SenderBinding.ownDomains(true),
            false);
    List<MilterPacket> answers =
        loggedIn(session(passing, true), "bob@example.net", "a@example.com");
    assertThat(answers)
        .extracting(MilterPacket::command)
        .containsExactly(MilterProtocol.CONTINUE, MilterProtocol.CONTINUE);
  }

  @Test
  void twoFromFieldsAreRefusedWith550ThroughTheMilterReply() throws Exception {
    MilterSession session = session(engine(false, ed25519), true);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("127.0.0.1"));
    List<MilterPacket> answers =
        drive(
            session,
            List.of(
                mail(),
                header("From", " a@example.com"),
                header("From", " evil@example.net"),
                body("x\r\n"),
                MilterPacket.of(MilterProtocol.BODY_END)));
    MilterPacket reply = answers.get(answers.size() - 1);
    assertThat(reply.command()).isEqualTo(MilterProtocol.REPLY_CODE);
    assertThat(reply.strings(0).get(0)).startsWith("550 5.6.0 cannot sign this message: ");
    assertThat(reply.data()[reply.data().length - 1]).as("NUL-terminated").isZero();
  }

  @Test
  void unknownDomainPassesUnsignedOrIsRefusedWith5_7_1ByPolicy() throws Exception {
    for (boolean reject : List.of(false, true)) {
      MilterSession session = session(engine(reject, ed25519), true);
      session.handle(optionNegotiation(POSTFIX_PROTOCOL));
      session.handle(connect("127.0.0.1"));
      List<MilterPacket> answers = drive(session, message("x@example.net"));
      MilterPacket last = answers.get(answers.size() - 1);
      if (reject) {
        assertThat(last.strings(0).get(0)).startsWith("550 5.7.1 ");
      } else {
        assertThat(answers)
            .extracting(MilterPacket::command)
            .containsExactly(MilterProtocol.CONTINUE, MilterProtocol.CONTINUE);
      }
    }
  }

  @Test
  void anAbortedMessageLeavesNothingBehindForTheNextOne() throws Exception {
    SigningEngine engine = engine(false, ed25519);
    MilterSession session = session(engine, true);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("127.0.0.1"));
    session.handle(mail());
    session.handle(header("From", " first@example.com"));
    session.handle(body("half a body"));
    assertThat(session.inMessage()).isTrue();
    assertThat(session.handle(MilterPacket.of(MilterProtocol.ABORT))).isEmpty();
    assertThat(session.inMessage()).isFalse();
    List<MilterPacket> answers = drive(session, message("alice@example.com"));
    assertThat(insertedValue(answers.get(1)).replace("\n", "\r\n"))
        .isEqualTo(
            expectedFields(engine)
                .get(0)
                .text()
                .substring("DKIM-Signature:".length())
                .replaceAll("\r\n$", ""));
  }

  @Test
  void anMtaWithoutNoReplyFlagsGetsAReplyForEveryEvent() throws Exception {
    MilterSession session = session(engine(false, ed25519), true);
    int old = 0x7F; // protocol 2: only the SMFIP_NO* flags
    MilterPacket negotiated = session.handle(optionNegotiation(old)).get(0);
    assertThat(negotiated.number(8) & ~old).isZero();
    assertThat(session.handle(connect("127.0.0.1")))
        .extracting(MilterPacket::command)
        .containsExactly(MilterProtocol.CONTINUE);
    session.handle(mail());
    assertThat(session.handle(header("From", "alice@example.com")))
        .extracting(MilterPacket::command)
        .containsExactly(MilterProtocol.CONTINUE);
  }

  @Test
  void anUnknownCommandIsAProtocolError() throws Exception {
    MilterSession session = session(engine(false, ed25519), true);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    assertThatThrownBy(() -> session.handle(MilterPacket.of((byte) 'Z')))
        .isInstanceOf(MilterProtocolException.class);
  }

  @Test
  void aMessageWithoutOptionNegotiationFirstIsAProtocolErrorAndNothingIsSigned() {
    MilterSession session = session(engine(false, ed25519), true);
    assertThatThrownBy(() -> session.handle(connect("127.0.0.1")))
        .isInstanceOf(MilterProtocolException.class)
        .hasMessageContaining("before option negotiation");
    assertThatThrownBy(() -> drive(session, message("alice@example.com")))
        .isInstanceOf(MilterProtocolException.class);
    assertThat(session.inMessage()).isFalse();
  }

  @Test
  void aSecondOptionNegotiationIsAProtocolError() {
    MilterSession session = session(engine(false, ed25519), true);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("127.0.0.1"));
    assertThatThrownBy(() -> session.handle(optionNegotiation(POSTFIX_PROTOCOL)))
        .isInstanceOf(MilterProtocolException.class)
        .hasMessageContaining("second option negotiation");
  }

  @Test
  void aHeaderBlockTheSharedBudgetCannotHoldIsATemporaryFailureAndGivesItsMemoryBack() {
    MemoryBudget budget = new MemoryBudget(40); // less than this message's header block
    MilterSession session = session(engine(false, ed25519), true, budget);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("127.0.0.1"));
    List<MilterPacket> answers = drive(session, message("alice@example.com"));
    MilterPacket last = answers.get(answers.size() - 1);
    assertThat(last.command()).isEqualTo(MilterProtocol.REPLY_CODE);
    assertThat(last.strings(0).get(0)).startsWith("452 4.3.1 ");
    assertThat(budget.used()).isZero();
    assertThat(answers).noneMatch(p -> p.command() == MilterProtocol.INSERT_HEADER);
  }

  @Test
  void aHeaderPacketSkippedForWantOfMemoryMakesTheMessageATemporaryFailure() {
    MilterSession session = session(engine(false, ed25519), true);
    session.handle(optionNegotiation(POSTFIX_PROTOCOL));
    session.handle(connect("127.0.0.1"));
    session.handle(mail());
    assertThat(session.dropped(MilterProtocol.HEADER)).isEmpty(); // SMFIP_NR_HDR
    session.handle(header("From", " alice@example.com"));
    List<MilterPacket> end = session.handle(MilterPacket.of(MilterProtocol.BODY_END));
    assertThat(end.get(0).strings(0).get(0)).startsWith("452 4.3.1 ");
    assertThatThrownBy(() -> session.dropped(MilterProtocol.MACRO))
        .isInstanceOf(MilterProtocolException.class);
  }

  @Test
  void packetsRoundTripAndImpossibleLengthsAreRefused() throws Exception {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    header("Subject", " hi").write(out);
    MilterPacket read = read(out.toByteArray(), budget).orElseThrow();
    assertThat(read.command()).isEqualTo(MilterProtocol.HEADER);
    assertThat(read.strings(0)).containsExactly("Subject", " hi");
    assertThat(read(new byte[0], budget)).isEmpty();
    for (byte[] bad : List.of(new byte[] {0, 0, 0, 0}, new byte[] {0x7F, 0, 0, 1, 'B'})) {
      assertThatThrownBy(() -> read(bad, budget)).isInstanceOf(MilterProtocolException.class);
    }
  }

  @Test
  void aLargePacketIsReadOnlyWithinTheBudgetAndTheStreamStaysInStep() throws Exception {
    int size = MilterPacket.ORDINARY_LENGTH + 1000;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new MilterPacket(MilterProtocol.HEADER, new byte[size]).write(out);
    header("Subject", " next").write(out);
    byte[] twoPackets = out.toByteArray();

    MemoryBudget roomy = new MemoryBudget(1000); // the bytes past an ordinary packet
    MilterPacket large = read(twoPackets, roomy).orElseThrow();
    assertThat(large.data()).hasSize(size);
    assertThat(roomy.used()).isEqualTo(1000);
    roomy.giveBack(large.reserved());
    assertThat(roomy.used()).isZero();

    MemoryBudget full = new MemoryBudget(999);
    InputStream in = new ByteArrayInputStream(twoPackets);
    assertThatThrownBy(() -> MilterPacket.read(in, full, () -> {}))
        .isInstanceOf(MilterPacket.Dropped.class);
    assertThat(MilterPacket.read(in, full, () -> {}).orElseThrow().strings(0))
        .containsExactly("Subject", " next");
    assertThat(full.used()).isZero();
  }

  @Test
  void aPacketCutShortGivesItsReservationBack() {
    MemoryBudget budget = new MemoryBudget(1 << 21);
    byte[] declaresOneMebibyte = {0x00, 0x10, 0x00, 0x00, MilterProtocol.HEADER, 'F', 'r'};
    assertThatThrownBy(() -> read(declaresOneMebibyte, budget)).isInstanceOf(EOFException.class);
    assertThat(budget.used()).isZero();
  }
}
