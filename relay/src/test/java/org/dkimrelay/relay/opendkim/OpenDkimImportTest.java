package org.dkimrelay.relay.opendkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.relay.config.SigningConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenDkimImportTest {
  @TempDir Path dir;

  private static SigningConfig.Rule rule(String from, String key, String i) {
    return new SigningConfig.Rule(from, List.of(key), Optional.ofNullable(i));
  }

  @Test
  void theSingleKeyFormBecomesOneRuleADomainAndWithSubDomainsOneForItsSubdomains() {
    OpenDkimImport.Plan plan =
        OpenDkimImport.plan(
            OpenDkimConf.parse(
                "# comment\nDOMAIN example.com, mail.example.com\nSelector mail # trailing\n"
                    + "KeyFile keys/mail.private\nSocket local:/run/opendkim/opendkim.sock\n"
                    + "SubDomains yes\n"),
            dir);
    assertThat(plan.keys())
        .extracting(key -> key.domain().name() + " " + key.selector() + " " + key.keyFile())
        .containsExactly(
            "example.com mail " + dir.resolve("keys/mail.private"),
            "mail.example.com mail " + dir.resolve("keys/mail.private"));
    // OpenDKIM signs a subdomain as its nearest listed parent, with i=@PARENT
    assertThat(plan.rules())
        .containsExactly(
            rule("*@example.com", "example.com/mail", null),
            rule("*@mail.example.com", "mail.example.com/mail", null),
            rule("*@*.mail.example.com", "mail.example.com/mail", "@mail.example.com"),
            rule("*@*.example.com", "example.com/mail", "@example.com"));
    assertThat(plan.openDkim().signatures("a@x.mail.example.com").toString())
        .isEqualTo("[d=mail.example.com s=mail]");
    assertThat(plan.socket().orElseThrow().unix()).contains(Path.of("/run/opendkim/opendkim.sock"));
    assertThat(plan.notCarried()).isEmpty();
  }

  @Test
  void withoutSubDomainsOnlyTheListedDomainsAreSignedAsInOpenDkim() {
    OpenDkimImport.Plan plan =
        OpenDkimImport.plan(
            OpenDkimConf.parse("Domain example.com\nSelector s\nKeyFile /k\n"), dir);
    assertThat(plan.rules()).containsExactly(rule("*@example.com", "example.com/s", null));
    assertThat(plan.openDkim().signatures("a@news.example.com")).isEmpty();
  }

  @Test
  void aRefileSigningTableBecomesRulesInItsOrderAndAnUnusedKeyIsSaid() throws Exception {
    Files.writeString(
        dir.resolve("keytable"),
        "k1 example.com:s1:/keys/s1.private\nk2 example.com:old:/keys/old.private\n"
            + "k3 example.net:s3:/keys/s3.private\n");
    Files.writeString(
        dir.resolve("signingtable"),
        "alice@example.com k3:@example.net\n*@*.example.com k1\n*@example.com k1\n");
    OpenDkimImport.Plan plan =
        OpenDkimImport.plan(
            OpenDkimConf.parse(
                "KeyTable file:keytable\nSigningTable refile:signingtable\nMultipleSignatures"
                    + " Yes\n"),
            dir);
    assertThat(plan.rules())
        .containsExactly(
            rule("alice@example.com", "example.net/s3", "@example.net"),
            rule("*@*.example.com", "example.com/s1", null),
            rule("*@example.com", "example.com/s1", null));
    assertThat(plan.allMatches()).isTrue();
    assertThat(plan.keys()).extracting(key -> key.selector().value()).containsExactly("s1", "s3");
    assertThat(plan.notCarried())
        .containsExactly("KeyTable k2 example.com:old: in no SigningTable line, not imported");
    assertThat(plan.addresses())
        .contains("alice@example.com", "user@sub.example.com", "user@example.com");
  }

  @Test
  void aFileSigningTableIsOrderedAsOpenDkimLooksItUp() throws Exception {
    Files.writeString(
        dir.resolve("kt"),
        "a example.com:a:/k\nb example.com:b:/k\nc example.com:c:/k\nd example.com:d:/k\n");
    Files.writeString(
        dir.resolve("st"), "* a\n.example.com b\nexample.com c\nceo@.example.com d\nceo@* a\n");
    OpenDkimImport.Plan plan =
        OpenDkimImport.plan(OpenDkimConf.parse("KeyTable file:kt\nSigningTable file:st\n"), dir);
    assertThat(plan.rules())
        .extracting(SigningConfig.Rule::from)
        .containsExactly("*@example.com", "ceo@*.example.com", "*@*.example.com", "ceo@*", "*");
  }

  @Test
  void whatCannotBeReproducedIsRefusedNamingTheLine() throws Exception {
    Files.writeString(dir.resolve("kt"), "k1 example.com:s1:/k\n");
    Files.writeString(dir.resolve("unknown"), "*@example.com nosuchkey\n");
    Files.writeString(dir.resolve("regex"), "[ab]*@example.com k1\n");
    Files.writeString(dir.resolve("literal"), "*@example.com k1\n");
    Files.writeString(dir.resolve("percent"), "* %\n");
    assertThatThrownBy(() -> plan("refile:" + dir.resolve("unknown")))
        .hasMessageContaining("SigningTable *@example.com: no key named nosuchkey in the KeyTable");
    assertThatThrownBy(() -> plan("refile:" + dir.resolve("regex")))
        .hasMessageContaining("[ab]*@example.com: OpenDKIM reads this as a regular expression");
    assertThatThrownBy(() -> plan(dir.resolve("literal").toString()))
        .hasMessageContaining("this line never matches")
        .hasMessageContaining("or the entry as example.com (a domain)");
    assertThatThrownBy(() -> plan("refile:" + dir.resolve("percent")))
        .hasMessageContaining("a key named by the From domain is not imported");
  }

  private OpenDkimImport.Plan plan(String signingTable) {
    return OpenDkimImport.plan(
        OpenDkimConf.parse("KeyTable " + dir.resolve("kt") + "\nSigningTable " + signingTable),
        dir);
  }

  @Test
  void everyOtherKeywordIsNamedInOpenDkimsSpellingWithWhatDkimrelayDoesInstead() {
    OpenDkimImport.Plan plan =
        OpenDkimImport.plan(
            OpenDkimConf.parse(
                "Domain example.com\nSelector s\nKeyFile /k\nUserID opendkim:opendkim\n"
                    + "UMask 007\nSyslog yes\nRequireSafeKeys false\n"
                    + "TrustAnchorFile /usr/share/dns/root.key\nReportAddress pm@example.com\n"),
            dir);
    assertThat(plan.notCarried())
        .containsExactly(
            "UserID opendkim:opendkim: dkimrelay runs as the systemd unit's user"
                + " (import-opendkim --user gives it the files)",
            "UMask 007: [milter] socket-mode sets the socket's mode (default 0660)",
            "Syslog yes: dkimrelay logs one line per message to stderr (the journal under systemd)",
            "RequireSafeKeys false: dkimrelay always refuses a key file that others can read or"
                + " replace",
            "TrustAnchorFile /usr/share/dns/root.key: dkimrelay verifies nothing, so needs no"
                + " DNSSEC trust anchor",
            "ReportAddress pm@example.com: not carried over");
  }
}
