package org.dkimrelay.relay.milter;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;
import org.dkimrelay.relay.dkim.DkimSigner;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningPolicy;
import org.dkimrelay.relay.dkim.SigningTable;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;

/**
 * Fuzz target: whatever an MTA (or anyone reaching the milter port) sends, the decoder and the
 * session refuse it only with an IOException or a MilterProtocolException (the connection is then
 * closed and Postfix tempfails); every packet decoded re-encodes to the bytes it came from.
 */
class MilterPacketFuzzTest {
  private static final MessagePipeline PIPELINE =
      new MessagePipeline(
          new SigningEngine(
              new SigningTable(List.of(), true),
              new DkimSigner(SigningPolicy.defaults(), java.time.Clock.systemUTC()),
              false,
              true),
          new RelayMetrics(),
          false);

  @FuzzTest(maxDuration = "60s")
  void milterConnection(byte[] input) {
    MilterSession session =
        new MilterSession(
            PIPELINE, new MilterPolicy(List.of(Cidr.parse("127.0.0.0/8")), true), "fuzz", 4096);
    InputStream in = new ByteArrayInputStream(input);
    try {
      for (Optional<MilterPacket> packet = MilterPacket.read(in);
          packet.isPresent();
          packet = MilterPacket.read(in)) {
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        packet.get().write(again);
        assertThat(again.size()).isEqualTo(packet.get().data().length + 5);
        for (MilterPacket answer : session.handle(packet.get())) {
          answer.write(new ByteArrayOutputStream()); // every answer can be sent
        }
      }
    } catch (IOException | MilterProtocolException expected) {
      // a truncated packet, or not the milter protocol: the connection is closed
    }
  }
}
