package org.dkimrelay.relay.milter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The milter against what a hostile local process can send, over real sockets, with the relay
 * running as users run it at -Xmx256m: whatever the peers do, memory stays bounded, stalled
 * connections free their slots, and the next real message is signed and verifies with dkimpy.
 */
class MilterHostileIT {
  private static final int MEBIBYTE = 1024 * 1024;
  private static final String BODY = "Signed in spite of it all.\r\n";

  @TempDir static Path dir;
  private static RelayProcess relay;

  @BeforeAll
  static void startRelay() throws IOException {
    relay = start("max-sessions = 300\ntimeout = \"3s\"\n");
  }

  @AfterAll
  static void stopRelay() {
    if (relay != null) {
      relay.close();
    }
  }

  private static RelayProcess start(String milterLines) throws IOException {
    Path keys = dir.resolve("keys");
    if (!Files.isDirectory(keys)) {
      RelayProcess.keygen(keys, "example.com", "r1", "rsa");
    }
    Path config =
        RelayConfigFile.write(
            Files.createTempFile(dir, "relay", ".toml"),
            9, // no upstream is used: the milter alone signs
            keys,
            "",
            "[milter]\naddress = \"inet:127.0.0.1:0\"\n" + milterLines);
    return RelayProcess.start(
        Files.createTempFile(dir, "relay", ".log"),
        List.of("-Xmx256m"),
        "run",
        "--config",
        config.toString());
  }

  /** A real message on a fresh connection is signed, and dkimpy verifies what was signed. */
  private static void stillSigns(RelayProcess process) throws IOException {
    assertThat(process.process().isAlive()).as("the relay process").isTrue();
    try (MilterClient client = MilterClient.connect(process.milterPort())) {
      client.negotiate();
      List<MilterPacket> answers = client.message("alice@example.com", BODY);
      List<String> signatures = MilterClient.insertedSignatures(answers);
      assertThat(signatures).as("answers %s", MilterClient.reply(answers)).hasSize(1);
      String message =
          signatures.get(0).replace("\n", "\r\n")
              + "\r\nFrom: <alice@example.com>\r\nTo: bob@example.org\r\n"
              + "Subject: through the milter\r\n\r\n"
              + BODY;
      ExternalTool.Result dkimpy =
          Oracles.dkimpyVerify(message.getBytes(StandardCharsets.ISO_8859_1), process.records());
      assertThat(dkimpy.exit()).as(dkimpy.toString()).isZero();
    }
  }

  private static void closeAll(List<MilterClient> clients) throws IOException {
    for (MilterClient client : clients) {
      client.close();
    }
  }

  /** Sends until the milter closes the connection, as it should at some point here. */
  private static void sendUntilClosed(MilterClient client, MilterPacket... packets) {
    try {
      for (MilterPacket packet : packets) {
        client.send(packet);
      }
    } catch (IOException closedAlready) {
      // the milter closed before the last packet: what is asserted next
    }
  }

  /** A packet header declaring {@code length} bytes of command {@code command}, and no more. */
  private static byte[] declaring(int length, byte command) {
    return new byte[] {
      (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length, command
    };
  }

  @Test
  void twoHundredFiftySixPacketsDeclaringAMebibyteAndSendingNothingDoNotFillTheHeap()
      throws Exception {
    List<MilterClient> attackers = new ArrayList<>();
    try {
      for (int i = 0; i < 256; i++) {
        MilterClient attacker = MilterClient.connect(relay.milterPort());
        attacker.negotiate();
        attacker.sendRaw(declaring(MEBIBYTE, MilterProtocol.HEADER));
        attackers.add(attacker);
      }
      stillSigns(relay);
    } finally {
      closeAll(attackers);
    }
    stillSigns(relay);
  }

  @Test
  void twoHundredFiftyFourMacrosOfAMebibyteEachAreNotKept() throws Exception {
    try (MilterClient attacker = MilterClient.connect(relay.milterPort())) {
      attacker.negotiate();
      for (int i = 0; i < 254; i++) {
        attacker.send(MilterClient.mebibyteMacro("{m" + i + "}"));
      }
      List<MilterPacket> answers = attacker.message("alice@example.com", BODY);
      assertThat(MilterClient.insertedSignatures(answers)).hasSize(1);
    }
    stillSigns(relay);
  }

  @Test
  void aHundredConnectionsOfFourMebibytesOfHeaderFieldsAreRefusedWithATempfailNotAnOutage()
      throws Exception {
    MilterPacket field = MilterClient.fillerHeader();
    MilterPacket from =
        new MilterPacket.Data()
            .string("From")
            .string(" <alice@example.com>")
            .packet(MilterProtocol.HEADER);
    List<MilterClient> senders = new ArrayList<>();
    List<String> endings = new ArrayList<>();
    try {
      for (int i = 0; i < 100; i++) {
        MilterClient sender = MilterClient.connect(relay.milterPort());
        sender.negotiate(); // every no-reply flag: headers stream without answers
        sender.startMessage();
        sender.send(from);
        for (int k = 0; k < 60; k++) { // 3.75 MiB, under the 4 MiB limit for one message
          sender.send(field);
        }
        senders.add(sender);
      }
      for (MilterClient sender : senders) {
        List<MilterPacket> answers = sender.endMessage();
        endings.add(
            MilterClient.reply(answers)
                .orElse(MilterClient.insertedSignatures(answers).isEmpty() ? "none" : "signed"));
      }
    } finally {
      closeAll(senders);
    }
    assertThat(endings).allMatch(end -> end.equals("signed") || end.startsWith("452 4.3.1 "));
    assertThat(endings).as("the shared budget ran out").anyMatch(end -> end.startsWith("452"));
    stillSigns(relay);
  }

  @Test
  void idleConnectionsAreClosedAfterTheTimeoutAndTheirSlotsServeAgain() throws Exception {
    List<MilterClient> idle = new ArrayList<>();
    try {
      for (int i = 0; i < 300; i++) { // every slot of max-sessions = 300
        idle.add(MilterClient.connect(relay.milterPort()));
      }
      try (MilterClient late = MilterClient.connect(relay.milterPort())) {
        assertThat(late.closedWithin(Duration.ofSeconds(2))).as("over max-sessions").isTrue();
      }
      for (MilterClient client : idle) {
        assertThat(client.closedWithin(Duration.ofSeconds(10))).as("after timeout = 3s").isTrue();
      }
    } finally {
      closeAll(idle);
    }
    stillSigns(relay);
  }

  @Test
  void aMessageWithoutOptionNegotiationIsNotSignedAndTheConnectionIsClosed() throws Exception {
    try (MilterClient forger = MilterClient.connect(relay.milterPort())) {
      sendUntilClosed(
          forger,
          MilterClient.connectPacket(),
          new MilterPacket.Data().string("<a@example.com>").packet(MilterProtocol.MAIL));
      assertThat(forger.closedWithin(Duration.ofSeconds(5))).isTrue();
    }
    try (MilterClient again = MilterClient.connect(relay.milterPort())) {
      again.negotiate();
      sendUntilClosed(
          again,
          MilterClient.connectPacket(),
          new MilterPacket.Data()
              .number(6)
              .number(MilterClient.POSTFIX_ACTIONS)
              .number(MilterClient.POSTFIX_PROTOCOL)
              .packet(MilterProtocol.OPTION_NEGOTIATION));
      assertThat(again.closedWithin(Duration.ofSeconds(5))).as("renegotiation").isTrue();
    }
    stillSigns(relay);
  }

  @Test
  void onlyPeersInTheAllowListAreServed() throws Exception {
    try (RelayProcess narrow = start("allow = [\"127.0.0.2/32\"]\n")) {
      try (MilterClient outsider = MilterClient.connect(narrow.milterPort())) {
        outsider.sendRaw(
            new byte[] {0, 0, 0, 13, MilterProtocol.OPTION_NEGOTIATION, 0, 0, 0, 6, 0, 0, 1, -1});
        assertThat(outsider.closedWithin(Duration.ofSeconds(5))).isTrue();
      }
      try (MilterClient insider =
          MilterClient.connect(InetAddress.getByName("127.0.0.2"), narrow.milterPort())) {
        insider.negotiate();
        assertThat(MilterClient.insertedSignatures(insider.message("alice@example.com", BODY)))
            .hasSize(1);
      }
    }
  }
}
