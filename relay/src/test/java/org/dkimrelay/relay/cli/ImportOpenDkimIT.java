package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import-opendkim} on a real OpenDKIM set-up: keys made by opendkim-genkey, a KeyTable and
 * SigningTable, an opendkim.conf that OpenDKIM itself accepts ({@code opendkim -n}). The imported
 * keys must sign mail that verifies against the records opendkim-genkey printed, which is what
 * OpenDKIM's users have in DNS.
 */
class ImportOpenDkimIT {
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");

  @TempDir Path home;

  @Test
  void keysTablesAndSocketCarryOverAndTheImportedKeysVerifyAgainstTheOldRecords() throws Exception {
    Path etc = Files.createDirectories(home.resolve("etc-opendkim"));
    Map<String, String> records =
        Map.of(
            "mail._domainkey.example.com", genkey(etc, "example.com", "mail"),
            "s2024._domainkey.example.org", genkey(etc, "example.org", "s2024"));
    Files.writeString(
        etc.resolve("key.table"),
        "mail._domainkey.example.com example.com:mail:"
            + etc.resolve("example.com/mail.private")
            + "\ns2024._domainkey.example.org example.org:s2024:"
            + etc.resolve("example.org/s2024.private")
            + "\n");
    Files.writeString(
        etc.resolve("signing.table"),
        "# From pattern -> key\n*@example.com mail._domainkey.example.com\n"
            + "*@example.org s2024._domainkey.example.org\n");
    Files.writeString(
        etc.resolve("trusted.hosts"), "127.0.0.1\n::1\n192.0.2.0/24\nmx.example.com\n");
    Path conf =
        Files.writeString(
            etc.resolve("opendkim.conf"),
            String.join(
                "\n",
                "Syslog yes",
                "Mode sv",
                "Canonicalization relaxed/simple",
                "OversignHeaders From",
                "KeyTable refile:" + etc.resolve("key.table"),
                "SigningTable refile:" + etc.resolve("signing.table"),
                "InternalHosts refile:" + etc.resolve("trusted.hosts"),
                "Socket inet:8891@localhost",
                "UserID opendkim",
                "ReportAddress postmaster@example.com",
                ""));
    ExternalTool.Result check =
        ExternalTool.run(List.of("/usr/sbin/opendkim", "-n", "-x", conf.toString()));
    assertThat(check.exit()).as("OpenDKIM accepts the configuration: " + check).isZero();

    Path keys = home.resolve("keys");
    Path config = home.resolve("dkimrelay.toml");
    CliRun imported =
        CliRun.in(
            home,
            "import-opendkim",
            conf.toString(),
            "--keys",
            keys.toString(),
            "--output",
            config.toString());

    assertThat(imported.exit()).as(imported.err()).isZero();
    assertThat(imported.out())
        .contains("imported: example.com selector mail (rsa 2048)")
        .contains("imported: example.org selector s2024")
        .contains("InternalHosts mx.example.com: only addresses and ranges are carried over")
        .contains("ReportAddress postmaster@example.com: not carried over")
        .contains("UserID opendkim: dkimrelay runs as the systemd unit's user")
        .contains("Mode sv: verifying inbound mail is not dkimrelay's job");
    String written = Files.readString(config);
    assertThat(written)
        .contains("address = \"inet:localhost:8891\"")
        .contains("internal = [\"127.0.0.1/32\", \"::1/128\", \"192.0.2.0/24\"]")
        .contains("canonicalization = \"relaxed/simple\"")
        .contains("oversign = [\"From\"]")
        .contains("enabled = false");
    assertThat(CliRun.in(home, "run", "--config", config.toString(), "--check-config").exit())
        .isZero();

    for (String domain : List.of("example.com", "example.org")) {
      byte[] message =
          ("From: Alice <alice@"
                  + domain
                  + ">\r\nTo: bob@example.net\r\nSubject: moved\r\n\r\nbody\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      CliRun signed = CliRun.withInput(home, message, "sign", "--config", config.toString());
      assertThat(signed.exit()).as(signed.err()).isZero();
      ExternalTool.Result dkimpy = Oracles.dkimpyVerify(signed.bytes(), records);
      assertThat(dkimpy.out()).as(dkimpy.toString()).startsWith("pass d=" + domain);
      ExternalTool.Result perl = Oracles.mailDkimVerify(signed.bytes(), records);
      assertThat(perl.out()).as(perl.toString()).startsWith("pass d=" + domain);
    }

    CliRun again =
        CliRun.in(
            home,
            "import-opendkim",
            conf.toString(),
            "--keys",
            keys.toString(),
            "--output",
            config.toString());
    assertThat(again.exit()).isZero();
    assertThat(again.out())
        .contains("kept: example.com mail is already in")
        .contains(".before-opendkim");
  }

  @Test
  void aDebianSetUpGoesToANewFileWithThePostfixSocketGroupAndTheKeysGivenToTheServiceUser()
      throws Exception {
    Path etc = Files.createDirectories(home.resolve("etc-opendkim"));
    genkey(etc, "example.com", "mail");
    Path conf =
        Files.writeString(
            etc.resolve("opendkim.conf"),
            "Domain example.com\nSelector mail\nKeyFile "
                + etc.resolve("example.com/mail.private")
                + "\nSocket local:/var/spool/postfix/opendkim/opendkim.sock\n");
    Path used = Files.createDirectories(home.resolve("conf")).resolve("dkimrelay.toml");
    Files.writeString(used, "# the configuration in use\n");
    Path keys = home.resolve("keys");
    String[] args = {
      "import-opendkim", conf.toString(), "--config", used.toString(), "--keys", keys.toString()
    };

    CliRun dryRun = CliRun.in(home, concat(args, "--dry-run"));
    assertThat(dryRun.exit()).as(dryRun.err()).isZero();
    assertThat(dryRun.out()).contains("--dry-run: nothing written.");
    assertThat(keys).doesNotExist();

    CliRun imported = CliRun.in(home, concat(args, "--user", "nobody"));
    assertThat(imported.exit()).as(imported.err()).isZero();
    Path written = home.resolve("conf/dkimrelay-opendkim.toml");
    assertThat(Files.readString(used)).isEqualTo("# the configuration in use\n");
    assertThat(Files.readString(written))
        .contains("address = \"unix:/var/spool/postfix/opendkim/opendkim.sock\"")
        .contains("socket-group = \"postfix\"");
    assertThat(imported.out()).contains("gave " + keys + " to nobody");
    assertThat(Files.getOwner(keys.resolve("example.com/mail.key")).getName()).isEqualTo("nobody");

    CliRun again = CliRun.in(home, args);
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err())
        .contains(
            written + " exists (an earlier import?): remove it, or name the file with --output");
  }

  private static String[] concat(String[] args, String... more) {
    List<String> all = new java.util.ArrayList<>(List.of(args));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  @Test
  void aMissingOrUnusableFileIsOneClearLine() throws IOException {
    CliRun missing = CliRun.in(home, "import-opendkim", home.resolve("nope.conf").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("no such file").doesNotContain("Exception");
    Path conf = Files.writeString(home.resolve("opendkim.conf"), "Syslog yes\nMode sv\n");
    CliRun empty = CliRun.in(home, "import-opendkim", conf.toString());
    assertThat(empty.exit()).isEqualTo(2);
    assertThat(empty.err()).contains("no KeyTable and no KeyFile: nothing to import");
  }

  /** opendkim-genkey's key, and the record value it printed (strings joined, as DNS joins them). */
  private static String genkey(Path etc, String domain, String selector) throws IOException {
    Path dir = Files.createDirectories(etc.resolve(domain));
    ExternalTool.Result genkey =
        ExternalTool.run(
            List.of(
                "/usr/sbin/opendkim-genkey", "-D", dir.toString(), "-d", domain, "-s", selector));
    assertThat(genkey.exit()).as(genkey.toString()).isZero();
    Matcher strings = QUOTED.matcher(Files.readString(dir.resolve(selector + ".txt")));
    StringBuilder value = new StringBuilder();
    while (strings.find()) {
      value.append(strings.group(1));
    }
    return value.toString();
  }
}
