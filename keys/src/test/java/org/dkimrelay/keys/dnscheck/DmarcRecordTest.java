package org.dkimrelay.keys.dnscheck;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Records proposed from the admin's own DMARC record, to RFC 9989. */
class DmarcRecordTest {
  @Test
  void theNextStageKeepsTheAdminsTagsAndAddsNp() {
    DmarcRecord none =
        DmarcRecord.parse(
            "v=DMARC1; p=none; rua=mailto:postmaster@example.net; ruf=mailto:f@example.net; fo=1;"
                + " adkim=s");
    assertThat(none.nextStage().orElseThrow())
        .hasToString(
            "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.net;"
                + " ruf=mailto:f@example.net; fo=1; adkim=s; np=reject");
    DmarcRecord quarantine = DmarcRecord.parse("v=DMARC1; p=quarantine; np=quarantine; sp=none");
    assertThat(quarantine.nextStage().orElseThrow())
        .hasToString("v=DMARC1; p=reject; np=quarantine; sp=none");
    assertThat(DmarcRecord.parse("v=DMARC1; p=reject").nextStage()).isEmpty();
  }

  @Test
  void removedTagsGoAndAPartialPctBecomesTheTestingFlag() {
    DmarcRecord legacy =
        DmarcRecord.parse(
            "v=DMARC1; p=quarantine; pct=25; rf=afrf; ri=86400; rua=mailto:d@x.example");
    assertThat(legacy.removedTags()).containsExactly("pct", "rf", "ri");
    assertThat(legacy.current()).hasToString("v=DMARC1; p=quarantine; rua=mailto:d@x.example; t=y");
    assertThat(DmarcRecord.parse("v=DMARC1; p=reject; pct=100").current())
        .hasToString("v=DMARC1; p=reject");
    // from a testing stage the next one is enforced in full
    assertThat(legacy.nextStage().orElseThrow())
        .hasToString("v=DMARC1; p=reject; rua=mailto:d@x.example; np=reject");
  }

  @Test
  void vAndPComeFirstWhereverTheyWereWritten() {
    assertThat(DmarcRecord.parse("rua=mailto:d@x.example; p=none; v=DMARC1"))
        .hasToString("v=DMARC1; p=none; rua=mailto:d@x.example");
  }

  @Test
  void anSpfTermGoesBeforeTheAllOrRedirectThatEndsTheRecord() {
    assertThat(DomainCheck.withTerm("v=spf1 mx include:_spf.example.net ~all", "ip4:192.0.2.10"))
        .isEqualTo("v=spf1 mx include:_spf.example.net ip4:192.0.2.10 ~all");
    assertThat(DomainCheck.withTerm("v=spf1 a redirect=_spf.example.net", "ip6:2001:db8::25"))
        .isEqualTo("v=spf1 a ip6:2001:db8::25 redirect=_spf.example.net");
    assertThat(DomainCheck.withTerm("v=spf1 mx", "ip4:192.0.2.10"))
        .isEqualTo("v=spf1 mx ip4:192.0.2.10");
  }
}
