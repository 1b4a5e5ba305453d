package org.dkimrelay.relay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.keys.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  @Test
  void emptyFileGivesDesignDefaults() throws Exception {
    RelayConfig config = ConfigLoader.parse("", "test.toml");
    assertThat(config.listen().address()).hasToString("127.0.0.1:10027");
    assertThat(config.listen().maxMessageSize().bytes()).isEqualTo(50L * 1024 * 1024);
    assertThat(config.listen().maxSessions()).isEqualTo(64);
    assertThat(config.upstream().address()).hasToString("127.0.0.1:10028");
    assertThat(config.upstream().starttls()).isEqualTo(RelayConfig.StartTls.OFF);
    assertThat(config.signing().keys()).isEqualTo(Path.of("conf/keys"));
    assertThat(config.signing().canonicalization()).isEqualTo("relaxed/relaxed");
    assertThat(config.signing().unknownDomain()).isEqualTo(SigningConfig.UnknownDomain.PASS);
    assertThat(config.signing().onMalformed()).isEqualTo(SigningConfig.OnMalformed.REJECT);
    assertThat(config.dns().recheck().duration().toMinutes()).isEqualTo(10);
  }

  @Test
  void sendersMapLoginsToDomainsAddressesOrEverythingAndPrintsBack() throws Exception {
    RelayConfig config =
        ConfigLoader.parse(
            "[senders]\non-mismatch = \"unsigned\"\n[senders.logins]\n"
                + "\"alice@example.com\" = [\"example.com\", \"News@Bücher.example\"]\n"
                + "\"*@example.net\" = [\"*\"]\n",
            "test.toml");
    assertThat(config.senders().onMismatch()).isEqualTo(SendersConfig.OnMismatch.UNSIGNED);
    assertThat(config.senders().logins())
        .containsEntry("alice@example.com", List.of("example.com", "News@xn--bcher-kva.example"))
        .containsEntry("*@example.net", List.of("*"));
    RelayConfig again = ConfigLoader.parse(ConfigLoader.render(config), "printed.toml");
    assertThat(again.senders()).isEqualTo(config.senders());
    assertThat(RelayConfig.defaults().senders().onMismatch())
        .isEqualTo(SendersConfig.OnMismatch.REJECT);
  }

  @Test
  void theShippedConfigIsTheDefaults() throws Exception {
    Path shipped = Path.of("..", "conf", "dkimrelay.toml");
    assertThat(
            ConfigLoader.render(ConfigLoader.parse(Files.readString(shipped), shipped.toString())))
        .isEqualTo(ConfigLoader.render(RelayConfig.defaults()));
  }

  @Test
  void relativeKeysResolveAgainstHome(@TempDir Path home) throws Exception {
    Path file = Files.writeString(home.resolve("c.toml"), "[signing]\nkeys = \"k\"\n");
    assertThat(ConfigLoader.load(file, home).signing().keys()).isEqualTo(home.resolve("k"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown key      | '\n[listen]\nbogus = 1'                   | test.toml:3: unknown key 'listen.bogus'",
        "not a number     | '[listen]\nmax-sessions = \"many\"'       | test.toml:2: listen.max-sessions: 'many' is not a valid whole number",
        "bad size         | '[listen]\nmax-message-size = \"9XB\"'    | test.toml:2: listen.max-message-size: '9XB' is not a size",
        "no port          | '[upstream]\naddress = \"smtp.example\"' | test.toml:2: upstream.address: 'smtp.example' needs a port",
        "bad choice       | '[upstream]\nstarttls = \"maybe\"'        | 'maybe' is not one of off | opportunistic | required",
        "headers no From  | '[signing]\nheaders = [\"To\"]'          | test.toml:1: signing: headers must include From",
        "bad cidr         | '[listen]\nallow = [\"10.0.0.0/40\"]'    | test.toml:2: listen.allow: '10.0.0.0/40'",
        "TOML syntax      | '[listen'                                 | test.toml:1:",
        "bad canon        | '[signing]\ncanonicalization = \"loose\"' | canonicalization 'loose' is not one of",
        "bad mismatch     | '[senders]\non-mismatch = \"sign\"'      | 'sign' is not one of reject | unsigned",
        "bad login entry  | '[senders.logins]\n\"a@x.example\" = [\"not a domain\"]' | senders: logins.\"a@x.example\": 'not a domain' is not a domain",
        "bad pattern      | '[senders.logins]\n\"a*\" = [\"x.example\"]' | senders: logins: 'a*': a pattern is '*@DOMAIN' or '*'",
        "auth half given  | '[upstream]\nusername = \"u\"'            | username and password-file go together",
        "auth without TLS | '[upstream]\nusername = \"u\"\npassword-file = \"p\"' | starttls must be \"required\"",
        "open to everyone | '[listen]\naddress = \"0.0.0.0:10027\"\nallow = [\"0.0.0.0/0\"]' | listen: address 0.0.0.0:10027 is reachable from other hosts and allow lets every address in",
        "open over IPv6   | '[listen]\naddress = \"[::]:10027\"\nallow = [\"::/0\"]' | narrow allow to your MTA's addresses, or set users-file",
        "users, no TLS    | '[listen]\nusers-file = \"users\"'      | users-file: AUTH is offered only inside TLS",
        "half a TLS       | '[listen.tls]\ncertificate = \"c.pem\"'  | tls needs both certificate and key",
        "unknown section  | '[dsn]\nresolver = \"x\"'                | test.toml:1: unknown section [dsn]",
        "unknown subtable | '[listen.tsl]\ncertificate = \"c.pem\"'  | test.toml:1: unknown section [listen.tsl]",
        "string for int   | '[listen]\nmax-sessions = \"64\"'         | test.toml:2: listen.max-sessions: \"64\" is a string; write a whole number without quotes",
        "string for bool  | '[log]\nexplain = \"true\"'               | test.toml:2: log.explain: \"true\" is a string; write true or false without quotes",
        "unquoted string  | '[log]\nformat = json'                   | test.toml:2: not valid TOML: format = json (a text value needs quotes: \"json\")",
        "milter any IPv4  | '[milter]\naddress = \"inet:0.0.0.0:8891\"' | milter: address inet:0.0.0.0:8891 is reachable from other hosts: set allow to the addresses of your MTA hosts",
        "milter any IPv6  | '[milter]\naddress = \"inet:[::]:8891\"'    | milter: address inet:[::]:8891 is reachable from other hosts",
        "milter OpenDKIM  | '[milter]\naddress = \"inet6:8891@::\"'     | is reachable from other hosts: set allow",
        "milter open      | '[milter]\naddress = \"inet:0.0.0.0:8891\"\nallow = [\"0.0.0.0/0\"]' | allow lets every address in: narrow allow to your MTA's addresses",
        "milter 0666      | '[milter]\naddress = \"unix:/run/m.sock\"\nsocket-mode = \"0666\"' | socket-mode '0666' lets every local user connect and have mail signed",
        "milter 0662      | '[milter]\nsocket-mode = \"0662\"'          | socket-mode '0662' lets every local user connect",
        "line limit 5000  | '[signing]\nline-length-limit = 5000'   | signing: line-length-limit must be 0 (no line broken) or 78 to 998",
        "milter timeout   | '[milter]\ntimeout = \"0s\"'                | test.toml:2: milter.timeout: '0s' is not a duration",
        "rule no keys     | '[[signing.rule]]\nfrom = \"*@x.example\"'   | a [[signing.rule]] needs from and keys",
        "rule bad key     | '[[signing.rule]]\nfrom = \"*\"\nkeys = [\"a/b/c\"]' | rule from '*': 'a/b/c' is not a key: write DOMAIN/SELECTOR, DOMAIN, %/SELECTOR or %",
        "rule bad i       | '[[signing.rule]]\nfrom = \"*\"\nkeys = [\"%\"]\ni = \"x.example\"' | i 'x.example' is not [LOCAL]@DOMAIN",
        "rule match maybe | '[signing]\nrule-match = \"some\"'          | 'some' is not one of first | all",
      })
  void badConfigNamesFileLineAndProblem(String label, String toml, String message) {
    assertThatThrownBy(() -> ConfigLoader.parse(toml.replace("\\n", "\n"), "test.toml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  @Test
  void signingRulesReadInOrderAndPrintAsTheyWereGiven() throws Exception {
    RelayConfig config =
        ConfigLoader.parse(
            "[signing]\nrule-match = \"all\"\n"
                + "[[signing.rule]]\nfrom = \"*@lists.example.net\"\nkeys = [\"example.net/old\"]\n"
                + "[[signing.rule]]\nfrom = \"*\"\nkeys = [\"%/mail\", \"example.com\"]\ni = \"@%\"\n",
            "test.toml");
    assertThat(config.signing().ruleMatch()).isEqualTo(SigningConfig.RuleMatch.ALL);
    assertThat(config.signing().rules())
        .containsExactly(
            new SigningConfig.Rule(
                "*@lists.example.net", List.of("example.net/old"), Optional.empty()),
            new SigningConfig.Rule("*", List.of("%/mail", "example.com"), Optional.of("@%")));
    assertThat(ConfigLoader.parse(ConfigLoader.render(config), "printed").signing())
        .isEqualTo(config.signing());
  }

  @Test
  void listeningBeyondLoopbackIsAllowedWithANarrowAllowlistOrWithAuth() throws Exception {
    RelayConfig narrow =
        ConfigLoader.parse(
            "[listen]\naddress = \"0.0.0.0:10027\"\nallow = [\"192.0.2.10/32\"]\n", "t");
    assertThat(narrow.listen().address().loopback()).isFalse();
    RelayConfig withAuth =
        ConfigLoader.parse(
            "[listen]\naddress = \"0.0.0.0:587\"\nallow = [\"0.0.0.0/0\"]\n"
                + "users-file = \"users\"\n[listen.tls]\ncertificate = \"c.pem\"\nkey = \"k.pem\"\n",
            "t");
    assertThat(withAuth.listen().usersFile()).contains(Path.of("users"));
    RelayConfig loopbackOpen =
        ConfigLoader.parse(
            "[listen]\naddress = \"127.0.0.1:10027\"\nallow = [\"0.0.0.0/0\"]\n", "t");
    assertThat(loopbackOpen.listen().address().loopback()).isTrue();
  }

  @Test
  void aMilterBeyondLoopbackServesOnlyItsExplicitAllowList() throws Exception {
    RelayConfig narrow =
        ConfigLoader.parse(
            "[milter]\naddress = \"inet:0.0.0.0:8891\"\nallow = [\"192.0.2.25/32\"]\n", "t");
    assertThat(narrow.milter().allow()).containsExactly(Cidr.parse("192.0.2.25/32"));
    RelayConfig defaults = ConfigLoader.parse("[milter]\naddress = \"inet:127.0.0.1:8891\"\n", "t");
    assertThat(defaults.milter().allow())
        .containsExactly(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"));
    assertThat(defaults.milter().timeout()).isEqualTo(Interval.parse("1h"));
  }

  @Test
  void settingsCarryNoNullsWhetherKeysAreGivenOrLeftOut() throws Exception {
    assertThat(NoNulls.firstNull(RelayConfig.defaults(), "defaults")).isEmpty();
    RelayConfig full =
        ConfigLoader.parse(
            "[listen]\naddress = \"0.0.0.0:25\"\nallow = [\"10.0.0.0/8\"]\nusers-file = \"u\"\n"
                + "[listen.tls]\ncertificate = \"c.pem\"\nkey = \"k.pem\"\n"
                + "[upstream]\nusername = \"u\"\npassword-file = \"p\"\nstarttls = \"required\"\n"
                + "ca-file = \"ca.pem\"\n[metrics]\naddress = \"127.0.0.1:9100\"\n"
                + "[rotation]\nevery = \"30d\"\n[signing]\nexpire = \"7d\"\n"
                + "[milter]\naddress = \"unix:/run/m.sock\"\nsocket-group = \"postfix\"\n",
            "t");
    assertThat(NoNulls.firstNull(full, "full")).isEmpty();
    assertThat(full.listen().tls()).isPresent();
    assertThat(full.upstream().caFile()).contains(Path.of("ca.pem"));
    assertThat(full.rotation().every()).isPresent();
    assertThat(full.milter().socketGroup()).contains("postfix");
    // what is printed reads back as the same settings
    assertThat(ConfigLoader.parse(ConfigLoader.render(full), "printed")).isEqualTo(full);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "127.0.0.1:10027, true",
    "127.0.0.2:10027, true",
    "'[::1]:10027', true",
    "localhost:10027, true",
    "LOCALHOST:10027, true",
    "relay.localhost:10027, true",
    "0.0.0.0:10027, false",
    "192.0.2.1:10027, false",
    // a name is not looked up while the configuration is read: it counts as reachable
    "mail.example:10027, false",
    "cafe:10027, false",
  })
  void loopbackIsDecidedWithoutDns(String address, boolean loopback) {
    assertThat(HostPort.parse(address, -1).loopback()).isEqualTo(loopback);
  }

  @Test
  void anAddressRangeIsALiteralNeverANameToLookUp() {
    assertThat(Cidr.literal("cafe")).isEmpty();
    assertThat(Cidr.literal("mail.example")).isEmpty();
    assertThat(Cidr.literal("192.0.2.1")).isPresent();
    assertThat(Cidr.literal("2001:db8::1")).isPresent();
    assertThatThrownBy(() -> Cidr.parse("cafe/16")).hasMessageContaining("is not an address range");
  }

  @Test
  void allowlistMatchesByPrefix() throws Exception {
    Cidr loopback = Cidr.parse("127.0.0.0/8");
    assertThat(loopback.contains(InetAddress.getByName("127.0.0.2"))).isTrue();
    assertThat(loopback.contains(InetAddress.getByName("128.0.0.1"))).isFalse();
    assertThat(loopback.contains(InetAddress.getByName("::1"))).isFalse();
    assertThat(Cidr.parse("192.0.2.128/25").contains(InetAddress.getByName("192.0.2.127")))
        .isFalse();
    assertThat(Cidr.parse("::1/128").contains(InetAddress.getByName("::1"))).isTrue();
  }
}
