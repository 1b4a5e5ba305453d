package org.dkimrelay.relay.milter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.spool.HeaderBuffer;
import org.dkimrelay.relay.spool.MemoryBudget;
import org.dkimrelay.relay.testing.TestKeys;

/**
 * Fuzz target: a whole milter connection from whatever anyone reaching the milter port sends. The
 * decoder and the session refuse input only with an IOException or a MilterProtocolException (the
 * connection is then closed and Postfix tempfails); every packet decoded re-encodes to the bytes it
 * came from; nothing is signed before option negotiation was answered; and when the connection
 * ends, the memory budget is whole again.
 */
class MilterPacketFuzzTest {
  private static final MessagePipeline PIPELINE =
      TestKeys.pipeline(Clock.systemUTC(), TestKeys.ed25519("example.com", "e1"));

  @FuzzTest(maxDuration = "60s")
  void milterConnection(byte[] input) {
    MemoryBudget budget = new MemoryBudget(64 * 1024);
    MilterSession session =
        new MilterSession(
            PIPELINE,
            new MilterPolicy(List.of(Cidr.parse("127.0.0.0/8")), true),
            "fuzz",
            new HeaderBuffer(budget, 4096));
    InputStream in = new ByteArrayInputStream(input);
    boolean negotiated = false;
    try {
      for (Optional<MilterPacket> packet = MilterPacket.read(in, budget, () -> {});
          packet.isPresent();
          packet = MilterPacket.read(in, budget, () -> {})) {
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        packet.get().write(again);
        assertThat(again.size()).isEqualTo(packet.get().data().length + 5);
        List<MilterPacket> answers = session.handle(packet.get());
        budget.giveBack(packet.get().reserved());
        for (MilterPacket answer : answers) {
          if (answer.command() == MilterProtocol.INSERT_HEADER) {
            assertThat(negotiated).as("a signature before option negotiation").isTrue();
          }
          negotiated |= answer.command() == MilterProtocol.OPTION_NEGOTIATION;
          answer.write(new ByteArrayOutputStream()); // every answer can be sent
        }
      }
    } catch (IOException | MilterProtocolException expected) {
      // a truncated packet, or not the milter protocol: the connection is closed
    } finally {
      session.close();
    }
    assertThat(budget.used()).as("memory left taken after the connection").isZero();
  }
}
