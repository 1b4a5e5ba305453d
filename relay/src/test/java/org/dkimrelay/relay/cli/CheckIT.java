package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.dkimrelay.relay.testing.Dnsmasq;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check} against a real DNS server (dnsmasq on 127.0.0.1), one zone shape per test. */
class CheckIT {
  @TempDir Path home;
  private JsonNode rsa;
  private JsonNode ed;
  private JsonNode other;

  @BeforeEach
  void keys() throws Exception {
    rsa = keygen("example.com", "r1", "rsa");
    ed = keygen("example.com", "e1", "ed25519");
    other = keygen("other.example", "r1", "rsa"); // a key that is not example.com's
  }

  private JsonNode keygen(String domain, String selector, String algorithm) throws Exception {
    CliRun run =
        CliRun.in(
            home, "keygen", domain, "--selector", selector, "--algorithm", algorithm, "--json");
    assertThat(run.exit()).isZero();
    return new ObjectMapper().readTree(run.out());
  }

  private static List<String> strings(JsonNode record) {
    List<String> strings = new ArrayList<>();
    record.get("strings").forEach(s -> strings.add(s.asText()));
    return strings;
  }

  /** A zone that is right in every way. */
  private List<String> goodZone() {
    return new ArrayList<>(
        List.of(
            "local=/example.com/",
            "local=/2.0.192.in-addr.arpa/",
            Dnsmasq.txtRecord("r1._domainkey.example.com", strings(rsa)),
            Dnsmasq.txtRecord("e1._domainkey.example.com", strings(ed)),
            Dnsmasq.txtRecord("example.com", List.of("v=spf1 ip4:192.0.2.10 -all")),
            Dnsmasq.txtRecord(
                "_dmarc.example.com", List.of("v=DMARC1; p=reject; rua=mailto:d@example.com")),
            "mx-host=example.com,mail.example.com,10",
            "host-record=mail.example.com,192.0.2.10"));
  }

  private CliRun check(UnaryOperator<List<String>> zone, String... extra) {
    try (Dnsmasq dns =
        Dnsmasq.start(zone.apply(goodZone()), home.resolve("dns-" + System.nanoTime()))) {
      List<String> args =
          new ArrayList<>(List.of("check", "example.com", "--resolver", dns.address()));
      args.addAll(List.of(extra));
      return CliRun.in(home, args.toArray(String[]::new));
    }
  }

  private static UnaryOperator<List<String>> replacing(String prefix, String... lines) {
    return zone -> {
      zone.removeIf(line -> line.startsWith(prefix));
      zone.addAll(List.of(lines));
      return zone;
    };
  }

  @Test
  void aCorrectDomainPassesEveryRecord() {
    CliRun run = check(zone -> zone);
    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.out().lines().filter(l -> !l.startsWith("pass"))).isEmpty();
    assertThat(run.out())
        .containsPattern(
            "DKIM   r1._domainkey.example.com +published key matches r1 \\(rsa 2048\\)")
        .contains("SPF    example.com")
        .contains("pass for 192.0.2.10")
        .contains("PTR    192.0.2.10")
        .contains("mail.example.com (resolves back to 192.0.2.10)");
  }

  @Test
  void missingDkimRecordFailsWithTheRecordToPublish() {
    CliRun run = check(replacing("txt-record=r1._domainkey"));
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out())
        .contains("fail  DKIM   r1._domainkey.example.com  no record")
        .contains("fix: publish: r1._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=");
  }

  @Test
  void wrongKeyTestingFlagAndTwoRecordsAreCaught() {
    CliRun wrong =
        check(
            replacing(
                "txt-record=r1._domainkey",
                Dnsmasq.txtRecord("r1._domainkey.example.com", strings(other))));
    assertThat(wrong.out())
        .contains("fail  DKIM   r1._domainkey.example.com  the published key is not the local key");

    CliRun testing =
        check(
            replacing(
                "txt-record=e1._domainkey",
                Dnsmasq.txtRecord(
                    "e1._domainkey.example.com", List.of(ed.get("value").asText() + "; t=y"))));
    assertThat(testing.out())
        .containsPattern("warn  DKIM   e1._domainkey.example.com +matches, but t=y");

    CliRun two =
        check(
            zone -> {
              zone.add(Dnsmasq.txtRecord("r1._domainkey.example.com", strings(other)));
              return zone;
            });
    assertThat(two.out()).contains("2 TXT records at one selector");
  }

  @Test
  void spfThatDoesNotCoverTheIpOrBlowsTheLookupLimitFails() {
    CliRun missing =
        check(
            replacing(
                "txt-record=example.com,",
                Dnsmasq.txtRecord("example.com", List.of("v=spf1 ip4:198.51.100.1 -all"))));
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out())
        .contains("fail for 192.0.2.10")
        .contains(
            "fix: publish: example.com. 3600 IN TXT \"v=spf1 ip4:198.51.100.1 ip4:192.0.2.10"
                + " -all\"");

    List<String> chain = new ArrayList<>();
    chain.add(Dnsmasq.txtRecord("example.com", List.of("v=spf1 include:i0.example.com -all")));
    for (int i = 0; i < 12; i++) {
      chain.add(
          Dnsmasq.txtRecord(
              "i" + i + ".example.com",
              List.of("v=spf1 include:i" + (i + 1) + ".example.com -all")));
    }
    chain.add(Dnsmasq.txtRecord("i12.example.com", List.of("v=spf1 ip4:192.0.2.10 -all")));
    CliRun tooMany = check(replacing("txt-record=example.com,", chain.toArray(String[]::new)));
    assertThat(tooMany.out()).contains("permerror").contains("more than 10 DNS lookups");

    CliRun plusAll =
        check(
            replacing(
                "txt-record=example.com,",
                Dnsmasq.txtRecord("example.com", List.of("v=spf1 +all"))));
    assertThat(plusAll.out()).contains("+all lets anyone send");
  }

  @Test
  void dmarcMissingFailsAndMonitoringOnlyWarnsWithTheNextStage() {
    CliRun missing = check(replacing("txt-record=_dmarc"));
    assertThat(missing.out())
        .containsPattern("fail  DMARC  _dmarc.example.com +no v=DMARC1 record")
        .contains(
            "fix: publish: _dmarc.example.com. 3600 IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com\"");
    CliRun none =
        check(
            replacing(
                "txt-record=_dmarc",
                Dnsmasq.txtRecord(
                    "_dmarc.example.com", List.of("v=DMARC1; p=none; rua=mailto:d@example.com"))));
    assertThat(none.exit()).isZero(); // warnings only
    assertThat(none.out())
        .contains("warn  DMARC")
        .contains(
            "publish: _dmarc.example.com. 3600 IN TXT \"v=DMARC1; p=quarantine;"
                + " rua=mailto:d@example.com; np=reject\"")
        .doesNotContain("pct");
  }

  @Test
  void dmarcToRfc9989LegacyPctEnforcingBlindAndTheTreeWalkForASubdomain() {
    CliRun legacy =
        check(
            replacing(
                "txt-record=_dmarc",
                Dnsmasq.txtRecord(
                    "_dmarc.example.com",
                    List.of(
                        "v=DMARC1; p=quarantine; pct=25; rua=mailto:postmaster@example.com; fo=1"))));
    assertThat(legacy.out())
        .contains("pct= no longer exist in DMARC (RFC 9989)")
        .contains(
            "publish: _dmarc.example.com. 3600 IN TXT \"v=DMARC1; p=quarantine;"
                + " rua=mailto:postmaster@example.com; fo=1; t=y\"");

    CliRun blind =
        check(
            replacing(
                "txt-record=_dmarc",
                Dnsmasq.txtRecord("_dmarc.example.com", List.of("v=DMARC1; p=reject; adkim=s"))));
    assertThat(blind.exit()).isEqualTo(1);
    assertThat(blind.out())
        .contains("fail  DMARC")
        .contains("p=reject without rua=")
        .contains(
            "publish: _dmarc.example.com. 3600 IN TXT \"v=DMARC1; p=reject; adkim=s;"
                + " rua=mailto:dmarc-reports@example.com\"");
  }

  @Test
  void tlsReportingAndMtaStsRecordsAreCheckedWhenPublished() {
    CliRun good =
        check(
            zone -> {
              zone.add(
                  Dnsmasq.txtRecord(
                      "_smtp._tls.example.com", List.of("v=TLSRPTv1; rua=mailto:tls@example.com")));
              zone.add(Dnsmasq.txtRecord("_mta-sts.example.com", List.of("v=STSv1; id=20261205")));
              return zone;
            });
    assertThat(good.exit()).as(good.out()).isZero();
    assertThat(good.out())
        .containsPattern(
            "pass  TLS    _smtp._tls.example.com +v=TLSRPTv1; rua=mailto:tls@example.com")
        .containsPattern(
            "pass  STS    _mta-sts.example.com +v=STSv1; id=20261205 \\(the policy at");
    CliRun bad =
        check(
            zone -> {
              zone.add(
                  Dnsmasq.txtRecord(
                      "_smtp._tls.example.com", List.of("v=TLSRPTv1; rua=tls@example.com")));
              zone.add(
                  Dnsmasq.txtRecord("_mta-sts.example.com", List.of("v=STSv1; id=2026-12-05")));
              return zone;
            });
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out())
        .contains("(rua= must be mailto: or https: URIs)")
        .contains(
            "publish: _smtp._tls.example.com. 3600 IN TXT \"v=TLSRPTv1;"
                + " rua=mailto:tls-reports@example.com\"")
        .contains("(id= must be 1 to 32 letters and digits)");
    // neither is required: a zone without them has no such lines
    assertThat(check(zone -> zone).out()).doesNotContain("TLS ").doesNotContain("STS ");
  }

  @Test
  void aSubdomainSenderIsCoveredByItsParentsPolicy() throws Exception {
    CliRun keygen = CliRun.in(home, "keygen", "news.example.com", "--selector", "n1");
    assertThat(keygen.exit()).isZero();
    try (Dnsmasq dns =
        Dnsmasq.start(
            List.of(
                "local=/example.com/",
                Dnsmasq.txtRecord(
                    "_dmarc.example.com",
                    List.of("v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"))),
            home.resolve("dns-walk"))) {
      CliRun run = CliRun.in(home, "check", "news.example.com", "--resolver", dns.address());
      assertThat(run.out())
          .containsPattern(
              "pass  DMARC  _dmarc.news.example.com +no record of its own; _dmarc.example.com"
                  + " covers it \\(tree walk\\): sp=quarantine");
    }
  }

  @Test
  void fixesAreWholeRecordsWithHintsForADoubledNameAndACutValue() {
    CliRun spf =
        check(
            replacing(
                "txt-record=example.com,",
                Dnsmasq.txtRecord("example.com", List.of("v=spf1 mx ~all"))),
            "--ip",
            "192.0.2.20");
    assertThat(spf.out())
        .contains("publish: example.com. 3600 IN TXT \"v=spf1 mx ip4:192.0.2.20 ~all\"");

    CliRun doubled =
        check(
            replacing(
                "txt-record=r1._domainkey",
                Dnsmasq.txtRecord("r1._domainkey.example.com.example.com", strings(rsa))));
    assertThat(doubled.out())
        .contains(
            "no record; it is at r1._domainkey.example.com.example.com: the zone line lacks"
                + " the dot after the name");

    CliRun cut =
        check(
            replacing(
                "txt-record=r1._domainkey",
                Dnsmasq.txtRecord("r1._domainkey.example.com", List.of(strings(rsa).get(0)))));
    assertThat(cut.out())
        .contains("the value is exactly 255 characters: its second quoted string is missing");
  }

  @Test
  void mxThroughACnameAndAPtrThatPointsElsewhereFail() {
    CliRun cname =
        check(
            replacing(
                "mx-host=",
                "mx-host=example.com,alias.example.com,10",
                "cname=alias.example.com,mail.example.com"));
    assertThat(cname.out()).contains("MX target alias.example.com is a CNAME");
    // one cause, reported once: the PTR names mail.example.com, the host the alias points to
    assertThat(cname.out())
        .doesNotContain("fail  PTR")
        .contains("not compared with alias.example.com, whose MX fails above");

    CliRun ptr =
        check(
            replacing(
                "host-record=",
                "address=/mail.example.com/192.0.2.10",
                "ptr-record=10.2.0.192.in-addr.arpa,elsewhere.example.net",
                "local=/example.net/"),
            "--ip",
            "192.0.2.10",
            "--helo",
            "elsewhere.example.net"); // the name matches: only the forward lookup is wrong
    assertThat(ptr.exit()).isEqualTo(1);
    assertThat(ptr.out())
        .contains("fail  PTR")
        .contains("PTR elsewhere.example.net does not resolve back to 192.0.2.10");
  }

  @Test
  void anUnreachableResolverIsOneLineNamingItNotAMissingRecord() throws Exception {
    int closed;
    try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    CliRun run =
        CliRun.in(
            home,
            "check",
            "example.com",
            "--resolver",
            "127.0.0.1:" + closed,
            "--ip",
            "192.0.2.10");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out().lines())
        .containsExactly(
            "fail  DNS    -  127.0.0.1:"
                + closed
                + " did not answer (example.com TXT: network error): nothing was checked",
            "      fix: give --resolver a DNS server that answers");
    assertThat(run.out()).doesNotContain("no record");
  }

  @Test
  void aSilentResolverIsAskedOnceNotOncePerRecord() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      AtomicInteger questions = new AtomicInteger();
      Thread counter =
          new Thread(
              () -> {
                byte[] buffer = new byte[512];
                while (!silent.isClosed()) {
                  try {
                    silent.receive(new DatagramPacket(buffer, buffer.length));
                    questions.incrementAndGet(); // and never answered
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              });
      counter.setDaemon(true);
      counter.start();
      CliRun run =
          CliRun.in(
              home, "check", "example.com", "--resolver", "127.0.0.1:" + silent.getLocalPort());
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.out())
          .startsWith("fail  DNS    -  127.0.0.1:" + silent.getLocalPort() + " did not answer")
          .contains("fix: give --resolver a DNS server that answers");
      assertThat(questions.get()).isBetween(1, 3); // one lookup; before, about eight timeouts
    }
  }

  @Test
  void aServerThatRefusesSaysToAskARecursiveResolver() {
    // dnsmasq serves no reverse zone for 198.51.100.0/24 and refuses the PTR question, as BIND
    // does for a zone it does not serve when recursion is off
    CliRun run = check(zone -> zone, "--ip", "198.51.100.7");
    assertThat(run.out())
        .contains("fail  PTR    198.51.100.7")
        .contains("REFUSED")
        .contains("fix: the server refused the question: give --resolver a recursive resolver")
        .contains("a PTR record is published by the provider of 198.51.100.7");
  }

  @Test
  void aServerThatRefusesCnameAndAaaaQuestionsStillPassesARightZone() {
    // without local=/example.com/ dnsmasq answers the names it holds and refuses every other
    // question (CNAME, AAAA, names it lacks): the records are right, so every check passes
    CliRun run = check(replacing("local=/example.com/"));
    assertThat(run.out()).doesNotContain("fail  MX").doesNotContain("fail  PTR");
    assertThat(run.out()).contains("pass  MX").contains("mail.example.com (resolves back to");
  }

  @Test
  void jsonHasOneObjectPerFinding() throws Exception {
    CliRun run = check(zone -> zone, "--json");
    JsonNode findings = new ObjectMapper().readTree(run.out());
    assertThat(findings.size()).isEqualTo(6); // 2 DKIM, MX, SPF, DMARC, PTR
    assertThat(findings.get(0).get("status").asText()).isEqualTo("pass");
    assertThat(findings.get(0).get("record").asText()).isEqualTo("DKIM");
  }
}
