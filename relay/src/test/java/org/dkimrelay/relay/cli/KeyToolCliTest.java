package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyToolCliTest {
  @TempDir Path home;

  @Test
  void keygenWritesADatedRsa2048KeyUnderTheHomeAndPrintsTheRecordThreeWays() throws IOException {
    CliRun run = CliRun.in(home, "keygen", "example.com");

    assertThat(run.exit()).isZero();
    assertThat(run.err()).isEmpty();
    Path keyFile = home.resolve("conf/keys/example.com/202611r.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(keyFile)).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(run.out())
        .contains("Wrote rsa 2048 key 202611r for example.com")
        .contains("202611r._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=MIIBIj")
        .contains("  Value: v=DKIM1; k=rsa; p=MIIBIj");
    String plain =
        run.out().lines().filter(l -> l.startsWith("  Value: ")).findFirst().orElseThrow();
    assertThat(run.publishedValue()).isEqualTo(plain.substring("  Value: ".length()));
    assertThat(Files.readString(home.resolve("conf/keys/example.com/202611r.txt")))
        .isEqualTo(
            run.out().lines().filter(l -> l.contains(" IN TXT ")).findFirst().orElseThrow() + "\n");
  }

  @Test
  void keygenJsonHasNameTypeValueAndTheSplitStrings() throws IOException {
    CliRun run =
        CliRun.in(
            home, "keygen", "bücher.example", "--bits", "4096", "--selector", "big", "--json");

    assertThat(run.exit()).isZero();
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertThat(json.get("name").asText()).isEqualTo("big._domainkey.xn--bcher-kva.example.");
    assertThat(json.get("type").asText()).isEqualTo("TXT");
    assertThat(json.get("bits").asInt()).isEqualTo(4096);
    StringBuilder joined = new StringBuilder();
    json.get("strings")
        .forEach(
            s -> {
              assertThat(s.asText().length()).isLessThanOrEqualTo(255);
              joined.append(s.asText());
            });
    assertThat(json.get("strings").size()).isEqualTo(3);
    assertThat(joined.toString()).isEqualTo(json.get("value").asText());
  }

  @Test
  void ed25519KeyGetsAnESelectorAndA44CharacterP() {
    CliRun run = CliRun.in(home, "keygen", "example.com", "--algorithm", "ed25519");

    assertThat(run.exit()).isZero();
    assertThat(run.publishedValue()).matches("v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=");
    assertThat(home.resolve("conf/keys/example.com/202611e.key")).exists();
  }

  @Test
  void weak1024BitKeyNeedsTheFlagAndThenWarns() {
    CliRun refused = CliRun.in(home, "keygen", "example.com", "--bits", "1024");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("--allow-weak");

    CliRun allowed = CliRun.in(home, "keygen", "example.com", "--bits", "1024", "--allow-weak");
    assertThat(allowed.exit()).isZero();
    assertThat(allowed.err()).startsWith("warning: a 1024-bit RSA key is weak");
  }

  @Test
  void keysShowReprintsTheSameRecordAndKeysListShowsTheKey() {
    CliRun made = CliRun.in(home, "keygen", "example.com", "--algorithm", "ed25519");
    CliRun shown = CliRun.in(home, "keys", "show", "example.com", "202611e");
    CliRun listed = CliRun.in(home, "keys", "list");

    assertThat(shown.exit()).isZero();
    assertThat(shown.publishedValue()).isEqualTo(made.publishedValue());
    assertThat(listed.exit()).isZero();
    assertThat(listed.out()).containsPattern("example\\.com +202611e +ed25519 ");
  }

  @Test
  void keysListExitsOneAndSaysWhyWhenAKeyIsUnsafe() throws IOException {
    CliRun.in(home, "keygen", "example.com", "--algorithm", "ed25519");
    Path keyFile = home.resolve("conf/keys/example.com/202611e.key");
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));

    CliRun listed = CliRun.in(home, "keys", "list");
    assertThat(listed.exit()).isEqualTo(1);
    assertThat(listed.out())
        .contains("UNUSABLE")
        .contains("fix the key file first (see the error above); it does not sign")
        .doesNotContain("starts its successor");
    assertThat(listed.err()).contains("chmod 600 " + keyFile);
  }

  @Test
  void dnsPrintsEveryRecordWithTheDomainsKeys() {
    CliRun made = CliRun.in(home, "keygen", "example.com", "--algorithm", "ed25519");
    CliRun table =
        CliRun.in(home, "dns", "example.com", "--ip", "192.0.2.10", "--ipv6", "2001:db8::25");
    CliRun zone =
        CliRun.in(
            home, "dns", "example.com", "--host", "mx.example.com", "--ip", "192.0.2.10", "--zone");

    assertThat(table.exit()).isZero();
    assertThat(table.out())
        .contains("mail.example.com.", "AAAA", "2001:db8::25", "10.2.0.192.in-addr.arpa.")
        .contains("v=spf1 ip4:192.0.2.10 ip6:2001:db8::25 -all")
        .contains(made.publishedValue())
        .contains("v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com")
        .contains("stage 3: v=DMARC1; p=reject;")
        .contains("For a zone file (BIND, NSD) use --zone");
    assertThat(zone.out())
        .contains("example.com. 3600 IN MX 10 mx.example.com.")
        .contains("; at your IP provider: 10.2.0.192.in-addr.arpa. 3600 IN PTR mx.example.com.")
        .contains("202611e._domainkey.example.com. 3600 IN TXT \"" + made.publishedValue() + "\"");
  }

  @Test
  void keysListOfAMissingDirectorySaysSoAndFails() {
    CliRun run = CliRun.in(home, "keys", "list", "--keys", home.resolve("nonexistent").toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            "dkimrelay: the keys directory "
                + home.resolve("nonexistent")
                + " does not exist (check --keys or signing.keys; 'dkimrelay keygen --keys "
                + home.resolve("nonexistent")
                + " DOMAIN' creates it with DOMAIN's first key)\n");
  }

  @Test
  void dnsNeedsAnAddressAndSaysSoInItsUsage() {
    CliRun run = CliRun.in(home, "dns", "example.com");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo("dkimrelay: dns needs --ip IPV4 or --ipv6 IPV6 (see 'dkimrelay dns --help')\n");
    assertThat(CliRun.in(home, "dns", "--help").out())
        .contains("([--ip=IPV4] [--ipv6=IPV6])")
        .containsPattern("DOMAIN +The mail domain");
  }

  @Test
  void helpNamesEveryCommandInWholeSentencesAndHelpIsACommand() {
    CliRun help = CliRun.in(home, "--help");
    // each summary line of the command list ends a sentence, none is cut off mid-way
    List<String> summaries = new java.util.ArrayList<>();
    boolean commands = false;
    for (String line : help.out().split("\n")) {
      if (line.equals("Commands:")) {
        commands = true;
      } else if (commands && line.matches("  \\S.*")) {
        summaries.add(line.trim());
      } else if (commands && !summaries.isEmpty()) {
        int last = summaries.size() - 1;
        summaries.set(last, summaries.get(last) + " " + line.trim());
      }
    }
    assertThat(summaries).hasSizeGreaterThan(10).allMatch(summary -> summary.endsWith("."));
    assertThat(CliRun.in(home, "help", "sign").out()).startsWith("Usage: dkimrelay sign");
    CliRun none = CliRun.in(home);
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err())
        .isEqualTo(
            "dkimrelay: missing command: keygen, keys, dns, sign, verify, run, check,"
                + " dmarc-report, rotate, import-opendkim, opensmtpd-filter, help (see 'dkimrelay"
                + " --help')\n");
    assertThat(CliRun.in(home, "keys", "import", "--help").out())
        .contains("The domain the key signs for.")
        .contains("--selector=S");
  }

  @Test
  void dnsWithoutKeysWarnsWhatToRun() {
    CliRun run = CliRun.in(home, "dns", "example.com", "--ip", "192.0.2.10");
    assertThat(run.exit()).isZero();
    assertThat(run.err()).containsPattern("run 'dkimrelay keygen --keys \\S+ example.com'");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "bad domain          | keygen bad..example                        | invalid domain 'bad..example'",
        "single label        | keygen localhost                           | invalid domain 'localhost'",
        "bad selector        | keygen example.com --selector a_b          | invalid selector 'a_b'",
        "under 1024 bits     | keygen example.com --bits 512              | unsupported RSA key size 512",
        "odd size            | keygen example.com --bits 3000             | unsupported RSA key size 3000",
        "bits for ed25519    | keygen example.com --algorithm ed25519 --bits 2048 | --bits applies to RSA keys only",
        "unknown algorithm   | keygen example.com --algorithm dsa         | unknown key algorithm 'dsa'",
        "not a number        | keygen example.com --bits lots             | Invalid value for option '--bits'",
        "unknown option      | keygen example.com --bogus                 | unknown option '--bogus' for dkimrelay keygen",
        "missing domain      | keygen                                     | keygen needs DOMAIN",
        "ttl out of range    | keygen example.com --ttl 5                 | --ttl must be between",
        "missing key         | keys show example.com nope                 | no key 'nope' for example.com",
        "import missing file | keys import /nonexistent --domain example.com --selector s | no such file: /nonexistent",
        "import no selector  | keys import /nonexistent --domain example.com | keys import needs --selector S",
        "bad ip              | dns example.com --ip 300.1.2.3             | invalid IPv4 address '300.1.2.3'",
        "no ip               | dns example.com                            | dns needs --ip IPV4 or --ipv6 IPV6",
        "not a command       | frobnicate                                 | 'frobnicate' is not a command of dkimrelay; the commands are keygen, keys,",
        "extra argument      | dns example.com extra --ip 192.0.2.1       | unexpected argument 'extra' for dkimrelay dns",
        "bad host            | dns example.com --ip 192.0.2.1 --host a..b | invalid host name 'a..b'",
        "no command          | ''                                         | missing command",
        "keys alone          | keys                                       | missing subcommand",
      })
  void badInputExitsTwoWithOneLineAndNoStackTrace(String label, String args, String message) {
    CliRun run = CliRun.in(home, args.isEmpty() ? new String[0] : args.split(" "));

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err().lines()).hasSize(1);
    assertThat(run.err()).startsWith("dkimrelay: ").contains(message).doesNotContain("\tat ");
  }

  @Test
  void anExistingSelectorIsRefusedAndKeptAsItWas() throws IOException {
    CliRun.in(home, "keygen", "example.com", "--selector", "s1", "--algorithm", "ed25519");
    Path keyFile = home.resolve("conf/keys/example.com/s1.key");
    String before = Files.readString(keyFile);

    CliRun again = CliRun.in(home, "keygen", "example.com", "--selector", "s1");
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err()).contains("already exists").contains("choose another --selector");
    assertThat(Files.readString(keyFile)).isEqualTo(before);
  }

  @Test
  void keysDirectoryOptionOverridesTheDefault(@TempDir Path elsewhere) {
    CliRun run =
        CliRun.in(
            home,
            "keygen",
            "example.com",
            "--algorithm",
            "ed25519",
            "--keys",
            elsewhere.toString());
    assertThat(run.exit()).isZero();
    assertThat(elsewhere.resolve("example.com/202611e.key")).exists();
    assertThat(home.resolve("conf")).doesNotExist();
  }
}
