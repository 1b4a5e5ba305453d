package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code verify} asking a real DNS server (dnsmasq on 127.0.0.1) for the published records. */
class VerifyDnsIT {
  private static final byte[] MESSAGE =
      "From: a@example.com\r\nSubject: dns\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path home;

  @Test
  void signaturesVerifyAgainstTheRecordsAsPublishedInDns() throws Exception {
    JsonNode rsa = keygen("r1", "rsa");
    JsonNode ed = keygen("e1", "ed25519");
    byte[] signed = CliRun.withInput(home, MESSAGE, "sign").bytes();

    Map<String, List<String>> zone =
        Map.of(rsa.get("name").asText(), strings(rsa), ed.get("name").asText(), strings(ed));
    try (Dnsmasq dns = Dnsmasq.withTxt(zone, List.of("example.com"), home.resolve("dns"))) {
      CliRun verified = CliRun.withInput(home, signed, "verify", "--resolver", dns.address());
      assertThat(verified.exit()).as(verified.out() + verified.err()).isZero();
      assertThat(verified.out().lines())
          .containsExactlyInAnyOrder(
              "pass d=example.com s=r1 a=rsa-sha256", "pass d=example.com s=e1 a=ed25519-sha256");
    }
    try (Dnsmasq empty =
        Dnsmasq.withTxt(Map.of(), List.of("example.com"), home.resolve("dns-empty"))) {
      CliRun missing = CliRun.withInput(home, signed, "verify", "--resolver", empty.address());
      assertThat(missing.exit()).isEqualTo(1);
      assertThat(missing.out())
          .contains(
              "fail d=example.com s=r1 a=rsa-sha256 key record: no key record at r1._domainkey.example.com");
    }
  }

  @Test
  void anUnreachableResolverIsATemporaryErrorNotAMissingKey() throws Exception {
    keygen("r1", "rsa");
    byte[] signed = CliRun.withInput(home, MESSAGE, "sign").bytes();
    int closedPort;
    try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    CliRun run = CliRun.withInput(home, signed, "verify", "--resolver", "127.0.0.1:" + closedPort);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).startsWith("temperror d=example.com s=r1 a=rsa-sha256 key lookup failed");
  }

  private JsonNode keygen(String selector, String algorithm) throws Exception {
    CliRun run =
        CliRun.in(
            home,
            "keygen",
            "example.com",
            "--selector",
            selector,
            "--algorithm",
            algorithm,
            "--json");
    assertThat(run.exit()).isZero();
    return new ObjectMapper().readTree(run.out());
  }

  private static List<String> strings(JsonNode record) {
    List<String> strings = new ArrayList<>();
    record.get("strings").forEach(s -> strings.add(s.asText()));
    return strings;
  }
}
