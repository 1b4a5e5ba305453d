package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rotate, keys retire|revoke and keys list, under CliRun's fixed clock (2026-11-15T10:00Z). */
class RotationCliTest {
  @TempDir Path home;
  private String keys;

  @BeforeEach
  void oneKey() {
    keys = home.resolve("keys").toString();
    assertThat(CliRun.in(home, "keygen", "example.com", "--selector", "r1", "--keys", keys).exit())
        .isZero();
  }

  @Test
  void aKeyBeforeRotationIsActiveAndListedSo() {
    // its age comes from the key file's time, so the clock here is the real one
    CliRun listed = CliRun.at(Instant.now(), home, new byte[0], "keys", "list", "--keys", keys);
    assertThat(listed.out())
        .containsPattern(
            "example\\.com +r1 +rsa 2048 +active +0d +signing; 'rotate example\\.com' starts its successor");
  }

  @Test
  void withRequirePublishedAnActiveKeyIsListedAsSigningOnlyWhilePublished() throws Exception {
    java.nio.file.Path config =
        java.nio.file.Files.writeString(
            home.resolve("published.toml"),
            "[signing]\nkeys = \"" + keys + "\"\nrequire-published = true\n");
    CliRun listed =
        CliRun.at(Instant.now(), home, new byte[0], "keys", "list", "--config", config.toString());
    assertThat(listed.out())
        .containsPattern(
            "example\\.com +r1 +rsa 2048 +active +0d +\\(require-published: signs only while its"
                + " record is published\\) signing; 'rotate example\\.com' starts its successor");
  }

  @Test
  void rotateMakesOneStandbyPerAlgorithmAndSaysSoWhenOneIsAlreadyWaiting() throws Exception {
    CliRun first = CliRun.in(home, "rotate", "example.com", "--keys", keys);
    assertThat(first.exit()).isZero();
    assertThat(first.out())
        .startsWith("New standby key 202611r (rsa 2048) for example.com. Publish:\n")
        .contains("202611r._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=");
    assertThat(Files.readString(home.resolve("keys/example.com/lifecycle.toml")))
        .contains("r1.state = 'active'")
        .contains("202611r.state = 'standby'")
        .contains("202611r.created = '2026-11-15T10:00:00Z'");

    CliRun again = CliRun.in(home, "rotate", "example.com", "--keys", keys);
    assertThat(again.out()).startsWith("example.com already has a standby rsa key waiting");

    CliRun ed = CliRun.in(home, "rotate", "example.com", "--algorithm", "ed25519", "--keys", keys);
    assertThat(ed.out()).startsWith("New standby key 202611e (ed25519) for example.com.");

    // the active key's successor waits: keys list says so, not "'rotate example.com' starts it"
    assertThat(CliRun.in(home, "keys", "list", "--keys", keys).out())
        .containsPattern(
            "example\\.com +r1 +rsa 2048 +active .*signing until standby 202611r takes over")
        .doesNotContain("starts its successor");
  }

  @Test
  void severalActiveRsaKeysRotateIntoOneOfTheLargestSize() {
    assertThat(
            CliRun.in(
                    home,
                    "keygen",
                    "example.com",
                    "--selector",
                    "big",
                    "--bits",
                    "4096",
                    "--keys",
                    keys)
                .exit())
        .isZero();
    CliRun rotate = CliRun.in(home, "rotate", "example.com", "--keys", keys);
    assertThat(rotate.out())
        .startsWith("New standby key 202611r (rsa 4096) for example.com.")
        .contains(
            "It takes over from every active rsa key: big (rsa 4096), r1 (rsa 2048); it has the"
                + " largest of their sizes.");
  }

  @Test
  void retireAndRevokeByHand() throws Exception {
    CliRun.in(home, "rotate", "example.com", "--keys", keys);
    CliRun standby = CliRun.in(home, "keys", "retire", "example.com", "202611r", "--keys", keys);
    assertThat(standby.exit()).isEqualTo(2);
    assertThat(standby.err())
        .isEqualTo("dkimrelay: 202611r is standby, not active: nothing to retire\n");

    CliRun retired = CliRun.in(home, "keys", "retire", "example.com", "r1", "--keys", keys);
    assertThat(retired.out())
        .startsWith("example.com/r1 is retiring.\n")
        .contains("Next: keep its TXT record published; revoked at 2026-11-22T10:00:00Z.");

    CliRun revoked = CliRun.in(home, "keys", "revoke", "example.com", "r1", "--keys", keys);
    assertThat(revoked.out())
        .contains("Its private key is deleted.")
        .contains("  r1._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=\"\n");
    assertThat(home.resolve("keys/example.com/r1.key")).doesNotExist();
    assertThat(CliRun.in(home, "keys", "list", "--keys", keys).out())
        .containsPattern("example\\.com +r1 +rsa +revoked .*2026-11-22T10:00:00Z")
        .containsPattern("example\\.com +202611r +rsa 2048 +standby ");

    CliRun twice = CliRun.in(home, "keys", "revoke", "example.com", "r1", "--keys", keys);
    assertThat(twice.err()).isEqualTo("dkimrelay: r1 is already revoked\n");
  }

  @Test
  void rotateNeedsAnActiveKey() {
    CliRun none = CliRun.in(home, "rotate", "example.org", "--keys", keys);
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).startsWith("dkimrelay: no active key for example.org in ");
  }
}
