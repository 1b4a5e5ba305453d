package org.dkimrelay.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.MailDnsPlan.PlannedRecord;
import org.junit.jupiter.api.Test;

class MailDnsPlanTest {

  @Test
  void reverseNamesFollowRfc1035AndRfc3596() {
    assertThat(MailDnsPlan.reverseName(MailDnsPlan.parseIpv4("192.0.2.10")))
        .isEqualTo("10.2.0.192.in-addr.arpa.");
    assertThat(MailDnsPlan.reverseName(MailDnsPlan.parseIpv6("2001:db8::567:89ab")))
        .isEqualTo("b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  }

  @Test
  void ipv6IsPrintedInRfc5952Form() {
    assertThat(MailDnsPlan.compact(MailDnsPlan.parseIpv6("2001:0DB8:0:0:0:0:0:0025")))
        .isEqualTo("2001:db8::25");
    assertThat(MailDnsPlan.compact(MailDnsPlan.parseIpv6("2001:db8:0:1:0:0:0:1")))
        .isEqualTo("2001:db8:0:1::1");
    assertThat(MailDnsPlan.compact(MailDnsPlan.parseIpv6("::1"))).isEqualTo("::1");
    assertThat(MailDnsPlan.compact(MailDnsPlan.parseIpv6("2001:db8:1:2:3:4:5:6")))
        .isEqualTo("2001:db8:1:2:3:4:5:6");
  }

  @Test
  void addressesAreLiteralsOnly() {
    assertThatThrownBy(() -> MailDnsPlan.parseIpv4("mail.example.com"))
        .hasMessageStartingWith("invalid IPv4 address");
    assertThatThrownBy(() -> MailDnsPlan.parseIpv4("256.1.1.1"))
        .hasMessageStartingWith("invalid IPv4 address");
    assertThatThrownBy(() -> MailDnsPlan.parseIpv6("192.0.2.1"))
        .hasMessageStartingWith("invalid IPv6 address");
    assertThatThrownBy(() -> MailDnsPlan.parseIpv6("::ffff:192.0.2.1"))
        .hasMessageContaining("give it with --ip");
  }

  @Test
  void planHasEveryRecordInOrderWithReasons() {
    DkimKey key = PemKeysTest.generate(KeyAlgorithm.ED25519);
    List<PlannedRecord> records =
        MailDnsPlan.records(
            new MailDnsPlan.Inputs(
                key.domain(),
                "mail.example.com",
                Optional.of(MailDnsPlan.parseIpv4("192.0.2.10")),
                Optional.empty(),
                List.of(key),
                "dmarc@example.com"));

    assertThat(records)
        .extracting(PlannedRecord::zoneLine)
        .containsExactly(
            "mail.example.com. 3600 IN A 192.0.2.10",
            "example.com. 3600 IN MX 10 mail.example.com.",
            "10.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.com.",
            "example.com. 3600 IN TXT \"v=spf1 ip4:192.0.2.10 -all\"",
            "s1._domainkey.example.com. 3600 IN TXT \"" + key.record().value() + "\"",
            "_dmarc.example.com. 3600 IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc@example.com\"");
    assertThat(records).allSatisfy(record -> assertThat(record.why()).isNotBlank());
    assertThat(records.get(2).inOwnZone()).isFalse();
  }

  @Test
  void dmarcRolloutGoesFromMonitorToQuarantineToRejectWithoutPct() {
    assertThat(MailDnsPlan.dmarcStages("r@example.com"))
        .containsExactly(
            "v=DMARC1; p=none; rua=mailto:r@example.com",
            "v=DMARC1; p=quarantine; rua=mailto:r@example.com; np=reject",
            "v=DMARC1; p=reject; rua=mailto:r@example.com; np=reject")
        .noneMatch(stage -> stage.contains("pct="));
  }

  @Test
  void tlsReportingAndMtaStsAreRecordsAndAPolicyFileWhenAsked() {
    SigningDomain domain = SigningDomain.parse("example.com");
    assertThat(MailDnsPlan.tlsRecords(domain, Optional.empty(), Optional.empty())).isEmpty();
    assertThat(
            MailDnsPlan.tlsRecords(
                    domain, Optional.of("tls@example.com"), Optional.of("20261205120000"))
                .stream()
                .map(MailDnsPlan.PlannedRecord::zoneLine))
        .containsExactly(
            "_smtp._tls.example.com. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tls@example.com\"",
            "_mta-sts.example.com. 3600 IN TXT \"v=STSv1; id=20261205120000\"");
    assertThat(
            MailDnsPlan.mtaStsPolicy(MailDnsPlan.MtaStsMode.parse("Testing"), "mail.example.com"))
        .isEqualTo(
            "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800\r\n");
    assertThatThrownBy(() -> MailDnsPlan.MtaStsMode.parse("strict"))
        .hasMessageContaining("testing (report only) or enforce");
  }

  @Test
  void aPlanNeedsAnAddress() {
    assertThatThrownBy(
            () ->
                new MailDnsPlan.Inputs(
                    SigningDomain.parse("example.com"),
                    "mail.example.com",
                    Optional.empty(),
                    Optional.empty(),
                    List.of(),
                    "r@example.com"))
        .hasMessageContaining("--ip");
  }
}
