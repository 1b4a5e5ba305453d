package org.dkimrelay.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dkimrelay.relay.testing.ExternalTool;
import org.dkimrelay.relay.testing.Oracles;
import org.dkimrelay.relay.testing.RelayConfigFile;
import org.dkimrelay.relay.testing.RelayProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A move from OpenDKIM proven against OpenDKIM itself: for each set-up (the kinds OpenDKIM's man
 * pages and common guides show), real OpenDKIM signs one message per From: address, then dkimrelay,
 * started on the configuration {@code import-opendkim} wrote from the same opendkim.conf, signs the
 * same messages; OpenDKIM's miltertest drives both. Every address gets the same signatures (d=, s=
 * and i=) from both, and the decision table the import printed said so beforehand.
 */
class OpenDkimParityIT {
  private static final Pattern TAG = Pattern.compile("(?:^|;)\\s*([dsi])=([^;]*)");

  /** OpenDKIM refuses keys under a world-writable directory such as /tmp (RequireSafeKeys). */
  private Path dir;

  private int port;

  @BeforeEach
  void directory() throws IOException {
    dir =
        Files.createTempDirectory(
            Path.of("/var/lib"),
            "dkimrelay-parity-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
  }

  @AfterEach
  void removeDirectory() throws IOException {
    ExternalTool.run(List.of("rm", "-rf", dir.toString()));
  }

  @Test
  void refileFirstMatchPerAddressRulesBeforeTheDomainAndASubdomainWildcard() throws Exception {
    String keyTable =
        table(
            "net-mail example.net:mail:" + key("example.net", "mail"),
            "net-old example.net:old2023:" + key("example.net", "old2023"),
            "org-mail example.org:mail:" + key("example.org", "mail"));
    String signingTable =
        table(
            "*@lists.example.net net-old",
            "ceo@example.net net-old",
            "*@example.net net-mail",
            "*@*.example.org org-mail");
    assertSameSignatures(
        conf("KeyTable file:" + keyTable, "SigningTable refile:" + signingTable),
        "ceo@example.net",
        "CEO@Example.NET",
        "a@lists.example.net",
        "a@deep.news.example.org");
  }

  @Test
  void refileWithMultipleSignaturesSignsWithEveryMatchingLine() throws Exception {
    String keyTable =
        table(
            "rsa example.com:r2026:" + key("example.com", "r2026"),
            "second example.com:second:" + key("example.com", "second"),
            "net example.net:mail:" + key("example.net", "mail"));
    String signingTable =
        table("*@example.com rsa", "*@*example.com second", "*@*.example.net net", "* second");
    assertSameSignatures(
        conf(
            "KeyTable file:" + keyTable,
            "SigningTable refile:" + signingTable,
            "MultipleSignatures yes"),
        "a@news.example.com",
        "a@news.example.net");
  }

  @Test
  void aFileTableIsLookedUpAsAddressDomainSuperdomainsThenStar() throws Exception {
    String keyTable =
        table(
            "ceo example.com:ceo:" + key("example.com", "ceo"),
            "main example.com:main:" + key("example.com", "main"),
            "sub example.com:sub:" + key("example.com", "sub"),
            "any example.com:any:" + key("example.com", "any"));
    List<String> entries =
        List.of(
            ".example.com sub", "example.com main", "ceo@example.com ceo", "ceo@.example.com ceo");
    String[] addresses = {"ceo@example.com", "ceo@a.b.example.com", "x@a.b.example.com"};
    List<String> withStar = new ArrayList<>(List.of("* any"));
    withStar.addAll(entries);
    assertSameSignatures(
        conf("KeyTable file:" + keyTable, "SigningTable file:" + table(withStar)), addresses);
    assertSameSignatures(
        conf(
            "KeyTable file:" + keyTable,
            "SigningTable file:" + table(entries),
            "MultipleSignatures yes"),
        addresses);
  }

  @Test
  void threeMatchesWithMultipleSignaturesAreFlaggedAsOpenDkimSignsOnlyTheFirstAndLast()
      throws Exception {
    String keyTable =
        table(
            "ceo example.com:ceo:" + key("example.com", "ceo"),
            "main example.com:main:" + key("example.com", "main"),
            "any example.com:any:" + key("example.com", "any"));
    Path conf =
        conf(
            "KeyTable file:" + keyTable,
            "SigningTable file:"
                + table(List.of("* any", "example.com main", "ceo@example.com ceo")),
            "MultipleSignatures yes");
    CliRun refused = importOpenDkim(conf);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.out())
        .containsPattern(
            "ceo@example.com +d=example.com s=ceo, d=example.com s=any +d=example.com s=ceo,"
                + " d=example.com s=main, d=example.com s=any +DIFFERENT \\(OpenDKIM 2.11 signs"
                + " only the first and last of 3 matching entries\\)")
        .contains("nothing written");
    assertThat(dir.resolve("dkimrelay-" + conf.getFileName() + ".toml")).doesNotExist();
    // what the import said of OpenDKIM is what OpenDKIM does
    Map<String, TreeSet<String>> predicted = decisionTable(refused.out());
    Map<String, TreeSet<String>> openDkim = openDkim(conf, new ArrayList<>(predicted.keySet()));
    assertThat(openDkim).isEqualTo(predicted);
  }

  @Test
  void aPercentKeyTableDomainSignsEachDomainWithItsOwnKeyFile() throws Exception {
    key("example.com", "default");
    key("example.net", "default");
    String keyTable = table("default %:default:" + dir.resolve("keys/%/default.private"));
    String signingTable = table("*@example.com default", "*@example.net default");
    assertSameSignatures(
        conf("KeyTable file:" + keyTable, "SigningTable refile:" + signingTable),
        "a@example.com",
        "a@example.net");
  }

  @Test
  void oneKeyForManyDomainsSignsAsEachFromDomainWithTheIdentityGiven() throws Exception {
    String shared = key("shared.example", "mail");
    String keyTable =
        table("shared %:mail:" + shared, "third example.com:tp:" + key("example.com", "tp"));
    String signingTable =
        table(
            "*@example.org shared:@%",
            "*@example.info shared",
            "*@example.net third:@example.com",
            "*@example.edu third:@example.edu");
    assertSameSignatures(
        conf("KeyTable file:" + keyTable, "SigningTable refile:" + signingTable),
        "a@example.org",
        "a@example.info",
        "a@example.net",
        "a@example.edu");
  }

  @Test
  void domainSelectorKeyFileWithAndWithoutSubDomains() throws Exception {
    String keyFile = key("example.com", "single");
    for (String subdomains : List.of("", "SubDomains yes")) {
      assertSameSignatures(
          conf(
              "Domain example.com,example.org",
              "Selector single",
              "KeyFile " + keyFile,
              subdomains),
          "a@example.com",
          "a@news.example.com",
          "a@example.org",
          "a@mail.example.org");
    }
  }

  /**
   * Imports {@code conf}, then signs one message per address with real OpenDKIM and with dkimrelay
   * on the imported configuration, and asserts the same signatures for each, as the import's own
   * table predicted.
   */
  private void assertSameSignatures(Path conf, String... extra) throws Exception {
    ExternalTool.Result check =
        ExternalTool.run(List.of("/usr/sbin/opendkim", "-n", "-x", conf.toString()));
    assertThat(check.exit()).as("OpenDKIM accepts the configuration: " + check).isZero();

    CliRun imported = importOpenDkim(conf);
    assertThat(imported.exit()).as(imported.out() + imported.err()).isZero();
    assertThat(imported.out()).doesNotContain("DIFFERENT");
    Map<String, TreeSet<String>> predicted = decisionTable(imported.out());
    Path config = dir.resolve("dkimrelay-" + conf.getFileName() + ".toml");

    List<String> addresses = new ArrayList<>(predicted.keySet());
    for (String address : extra) {
      if (!addresses.contains(address)) {
        addresses.add(address);
      }
    }
    Map<String, TreeSet<String>> openDkim = openDkim(conf, addresses);
    Files.writeString(
        config, Files.readString(config) + RelayConfigFile.noResolver()); // DNS on 127.0.0.1 only
    Map<String, TreeSet<String>> dkimrelay = dkimrelay(config, addresses);

    assertThat(dkimrelay)
        .as("signatures per From: address, dkimrelay vs OpenDKIM")
        .isEqualTo(openDkim);
    assertThat(openDkim.values())
        .as("some address is signed")
        .anyMatch(set -> !set.contains("none"));
    predicted.forEach(
        (address, signatures) ->
            assertThat(withoutIdentity(openDkim.get(address)))
                .as("the import's table for " + address)
                .isEqualTo(signatures));
  }

  private CliRun importOpenDkim(Path conf) {
    return CliRun.in(
        dir,
        "import-opendkim",
        conf.toString(),
        "--keys",
        dir.resolve("dkimrelay-keys-" + conf.getFileName()).toString(),
        "--output",
        dir.resolve("dkimrelay-" + conf.getFileName() + ".toml").toString());
  }

  /** The import's table: address to the (d=, s=) it said OpenDKIM signs with ("none": nothing). */
  private static Map<String, TreeSet<String>> decisionTable(String output) {
    Map<String, TreeSet<String>> rows = new LinkedHashMap<>();
    List<String> lines = output.lines().toList();
    for (String line : lines.subList(1, lines.size())) {
      if (line.isBlank()) {
        break;
      }
      String[] columns = line.trim().split("\\s{2,}");
      rows.put(
          columns[0],
          new TreeSet<>(
              columns[1].equals("(unsigned)") ? List.of("none") : List.of(columns[1].split(", "))));
    }
    return rows;
  }

  private static TreeSet<String> withoutIdentity(TreeSet<String> signatures) {
    TreeSet<String> pairs = new TreeSet<>();
    signatures.forEach(signature -> pairs.add(signature.replaceAll(" i=\\S*", "")));
    return pairs;
  }

  private Map<String, TreeSet<String>> openDkim(Path conf, List<String> addresses)
      throws Exception {
    ExternalTool.run(List.of("chown", "-R", "opendkim", dir.resolve("keys").toString()));
    Process opendkim =
        new ProcessBuilder("/usr/sbin/opendkim", "-f", "-x", conf.toString(), "-p", socket())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("opendkim.log").toFile())
            .start();
    try {
      awaitPort();
      return signatures(Oracles.milterSignatures(socket(), addresses));
    } finally {
      opendkim.destroy();
      opendkim.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Map<String, TreeSet<String>> dkimrelay(Path config, List<String> addresses)
      throws Exception {
    RelayProcess relay =
        RelayProcess.start(
            dir.resolve("dkimrelay.log"),
            List.of("-Xmx128m"),
            "run",
            "--config",
            config.toString());
    try {
      return signatures(Oracles.milterSignatures(socket(), addresses));
    } finally {
      relay.close();
    }
  }

  /** miltertest's lines as address to its signatures, each "d=... s=..." with i= when present. */
  private static Map<String, TreeSet<String>> signatures(ExternalTool.Result run) {
    assertThat(run.exit()).as(run.toString()).isZero();
    Map<String, TreeSet<String>> byAddress = new LinkedHashMap<>();
    for (String line : run.out().lines().toList()) {
      String[] parts = line.split("\t", 2);
      TreeSet<String> set = byAddress.computeIfAbsent(parts[0].toLowerCase(), a -> new TreeSet<>());
      if (parts[1].equals("none")) {
        set.add("none");
        continue;
      }
      Map<String, String> tags = new LinkedHashMap<>();
      Matcher tag = TAG.matcher(parts[1]);
      while (tag.find()) {
        tags.put(tag.group(1), tag.group(2).strip());
      }
      set.add(
          "d="
              + tags.get("d")
              + " s="
              + tags.get("s")
              + (tags.containsKey("i") ? " i=" + tags.get("i") : ""));
    }
    return byAddress;
  }

  private String socket() {
    return "inet:" + port + "@127.0.0.1";
  }

  private void awaitPort() throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("OpenDKIM did not listen on " + port);
  }

  /** opendkim-genkey's key for {@code domain} under keys/DOMAIN/SELECTOR.private. */
  private String key(String domain, String selector) throws IOException {
    Path keys = Files.createDirectories(dir.resolve("keys").resolve(domain));
    ExternalTool.Result genkey =
        ExternalTool.run(
            List.of(
                "/usr/sbin/opendkim-genkey", "-D", keys.toString(), "-d", domain, "-s", selector));
    assertThat(genkey.exit()).as(genkey.toString()).isZero();
    return keys.resolve(selector + ".private").toString();
  }

  private int tables;

  private String table(String... lines) throws IOException {
    return table(List.of(lines));
  }

  private String table(List<String> lines) throws IOException {
    Path file = dir.resolve("table" + ++tables);
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file.toString();
  }

  private int confs;

  /** An opendkim.conf as a guide would write it, with these lines. */
  private Path conf(String... lines) throws IOException {
    List<String> all =
        new ArrayList<>(List.of("Syslog no", "Mode s", "UserID opendkim", "Socket " + socket()));
    all.addAll(List.of(lines));
    return Files.writeString(
        dir.resolve("opendkim" + ++confs + ".conf"), String.join("\n", all) + "\n");
  }
}
