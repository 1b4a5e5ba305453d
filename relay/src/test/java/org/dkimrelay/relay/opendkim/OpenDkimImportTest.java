package org.dkimrelay.relay.opendkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenDkimImportTest {
  @TempDir Path dir;

  @Test
  void theSingleKeyFormSignsEveryListedDomainAndALocalSocketBecomesUnix() {
    OpenDkimImport.Plan plan =
        OpenDkimImport.plan(
            OpenDkimConf.parse(
                "# comment\nDOMAIN example.com, example.net\nSelector mail # trailing\n"
                    + "KeyFile keys/mail.private\nSocket local:/run/opendkim/opendkim.sock\n"
                    + "SubDomains yes\n"),
            dir);
    assertThat(plan.keys())
        .extracting(key -> key.domain().name() + " " + key.selector() + " " + key.keyFile())
        .containsExactly(
            "example.com mail " + dir.resolve("keys/mail.private"),
            "example.net mail " + dir.resolve("keys/mail.private"));
    assertThat(plan.socket().orElseThrow().unix()).contains(Path.of("/run/opendkim/opendkim.sock"));
    assertThat(plan.subdomains()).contains(true);
    assertThat(plan.notCarried()).isEmpty();
  }

  @Test
  void signingTablePatternsBecomeDomainsAndWhatCannotIsSaid() throws Exception {
    Files.writeString(
        dir.resolve("keytable"),
        "k1 example.com:s1:/keys/s1.private\nk2 example.com:old:/keys/old.private\n");
    Files.writeString(
        dir.resolve("signingtable"), "alice@example.com k1\n*@*.example.com k1\n*@*.* k1\n");
    OpenDkimImport.Plan plan =
        OpenDkimImport.plan(
            OpenDkimConf.parse("KeyTable file:keytable\nSigningTable refile:signingtable\n"), dir);
    assertThat(plan.keys()).extracting(key -> key.selector().value()).containsExactly("s1");
    assertThat(plan.subdomains()).contains(true);
    assertThat(plan.notCarried())
        .anyMatch(note -> note.contains("alice@example.com: dkimrelay signs by From domain"))
        .anyMatch(note -> note.contains("*@*.*: wildcard patterns are not carried over"))
        .anyMatch(note -> note.contains("example.com old: in no SigningTable line, not imported"));
  }

  @Test
  void aSigningTableNamingAnUnknownKeyIsAnError() throws Exception {
    Files.writeString(dir.resolve("kt"), "k1 example.com:s1:/k\n");
    Files.writeString(dir.resolve("st"), "*@example.com nosuchkey\n");
    assertThatThrownBy(
            () ->
                OpenDkimImport.plan(
                    OpenDkimConf.parse(
                        "KeyTable " + dir.resolve("kt") + "\nSigningTable " + dir.resolve("st")),
                    dir))
        .hasMessageContaining("no key named nosuchkey in the KeyTable");
  }
}
