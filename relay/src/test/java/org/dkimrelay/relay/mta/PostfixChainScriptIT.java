package org.dkimrelay.relay.mta;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dkimrelay.relay.testing.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/postfix-chain on Debian's stock main.cf and master.cf, as a new admin meets it: the
 * submission service is commented out there.
 */
class PostfixChainScriptIT {
  @TempDir Path dir;

  private ExternalTool.Result chain(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(Path.of("..", "scripts", "postfix-chain").toAbsolutePath().toString()));
    command.addAll(List.of(args));
    command.addAll(List.of("-c", dir.toString()));
    return ExternalTool.run(command);
  }

  private List<String> backups() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.contains("backup")).toList();
    }
  }

  @Test
  void aStockDebianConfigurationIsToldHowToAddSubmissionAndAppliedOnce() throws Exception {
    Files.copy(Path.of("/usr/share/postfix/main.cf.dist"), dir.resolve("main.cf"));
    Files.copy(Path.of("/usr/share/postfix/master.cf.dist"), dir.resolve("master.cf"));
    String addSubmission =
        "postconf -c " + dir + " -M 'submission/inet=submission inet n - y - - smtpd'";

    ExternalTool.Result refused = chain("--apply");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.stderr()).contains(addSubmission);
    assertThat(backups()).isEmpty();

    ExternalTool.Result check = chain("--check");
    assertThat(check.exit()).isEqualTo(1);
    assertThat(check.out().lines().filter(line -> line.contains("submission/inet in master.cf")))
        .containsExactly(
            "missing: service submission/inet in master.cf; add it with: " + addSubmission);
    assertThat(check.out()).contains("add the missing service(s) as shown, then run");

    assertThat(ExternalTool.run(List.of("sh", "-c", addSubmission)).exit()).isZero();
    assertThat(chain("--apply").exit()).isZero();
    assertThat(backups()).hasSize(2); // main.cf and master.cf, once
    ExternalTool.Result again = chain("--apply");
    assertThat(again.out()).contains("nothing to change");
    assertThat(backups()).hasSize(2);
    assertThat(chain("--check").exit()).isZero();

    // what it prints without --apply are commands to run, not comments
    assertThat(chain().out())
        .contains("postconf -c " + dir + " -P 'submission/inet/smtpd_milters=inet:127.0.0.1:8891'")
        .contains("postconf -c " + dir + " -e 'milter_protocol=6'");
  }

  @Test
  void anOpenDkimStyleMainCfAppliedTwiceKeepsOneMilterEntryAndChecksOk() throws Exception {
    Files.copy(Path.of("/usr/share/postfix/main.cf.dist"), dir.resolve("main.cf"));
    Files.copy(Path.of("/usr/share/postfix/master.cf.dist"), dir.resolve("master.cf"));
    // OpenDKIM's guides: one global milter for every smtpd, reused for sendmail's mail; after
    // import-opendkim, dkimrelay listens where OpenDKIM did (localhost is 127.0.0.1)
    postconf(
        "smtpd_milters = inet:localhost:8891",
        "non_smtpd_milters = $smtpd_milters",
        "milter_default_action = accept");

    ExternalTool.Result first = chain("--apply");
    assertThat(first.exit()).as(first.toString()).isZero();
    assertThat(first.out())
        .contains("every smtpd, by main.cf smtpd_milters")
        .contains("Now: postfix -c " + dir + " check && postfix -c " + dir + " reload");
    ExternalTool.Result second = chain("--apply");
    assertThat(second.out()).contains("nothing to change");
    assertThat(postconfValue("smtpd_milters")).isEqualTo("inet:localhost:8891");
    assertThat(postconfValue("non_smtpd_milters")).isEqualTo("$smtpd_milters");
    assertThat(postconfValue("milter_default_action")).isEqualTo("tempfail");
    ExternalTool.Result check = chain("--check");
    assertThat(check.exit()).as(check.toString()).isZero();
    assertThat(check.out()).contains("ok: main.cf non_smtpd_milters includes inet:127.0.0.1:8891");
  }

  @Test
  void anotherMilterIsReplacedNotAppendedAndARelativeSocketServesAChrootedSmtpd() throws Exception {
    stockDebianWithSubmission();
    postconf("smtpd_milters = inet:localhost:12301", "non_smtpd_milters = $smtpd_milters");
    String relative = "unix:dkimrelay/milter.sock";

    ExternalTool.Result applied = chain("--apply", "--milter", relative);
    assertThat(applied.exit()).as(applied.toString()).isZero();
    assertThat(applied.out())
        .contains("replaced main.cf non_smtpd_milters = $smtpd_milters")
        .contains(
            "dkimrelay must listen on unix:/var/spool/postfix/dkimrelay/milter.sock ([milter]"
                + " address)");
    assertThat(chain("--apply", "--milter", relative).out()).contains("nothing to change");
    assertThat(postconfValue("non_smtpd_milters")).isEqualTo(relative);
    ExternalTool.Result service =
        ExternalTool.run(
            List.of("postconf", "-c", dir.toString(), "-P", "submission/inet/smtpd_milters"));
    assertThat(service.out().strip()).isEqualTo("submission/inet/smtpd_milters = " + relative);
    ExternalTool.Result check = chain("--check", "--milter", relative);
    assertThat(check.exit()).as(check.toString()).isZero();
    assertThat(check.out())
        .contains("warning: main.cf smtpd_milters = inet:localhost:12301: another milter");

    // an absolute path outside the chroot is what fails inside Debian's chrooted smtpd
    assertThat(chain("--check", "--milter", "unix:/run/dkimrelay/milter.sock").out())
        .contains("warning: chrooted Postfix services look unix:/run/dkimrelay/milter.sock up");
  }

  /** Debian's stock main.cf and master.cf, with the submission service enabled. */
  private void stockDebianWithSubmission() throws IOException {
    Files.copy(Path.of("/usr/share/postfix/main.cf.dist"), dir.resolve("main.cf"));
    Files.copy(Path.of("/usr/share/postfix/master.cf.dist"), dir.resolve("master.cf"));
    assertThat(
            ExternalTool.run(
                    List.of(
                        "postconf",
                        "-c",
                        dir.toString(),
                        "-M",
                        "submission/inet=submission inet n - y - - smtpd"))
                .exit())
        .isZero();
  }

  private String postconfValue(String name) {
    return ExternalTool.run(List.of("postconf", "-c", dir.toString(), "-h", name)).out().strip();
  }

  @Test
  void checkWarnsWhenPostfixWouldBreakLinesOrReencodeAfterSigning() throws Exception {
    stockDebianWithSubmission();
    assertThat(chain("--apply").exit()).isZero();
    assertThat(chain("--check").out()).doesNotContain("warning:"); // 998 both, conversion off

    postconf("smtp_line_length_limit=990", "disable_mime_output_conversion=no");
    ExternalTool.Result check = chain("--check");
    assertThat(check.out())
        .contains(
            "warning: main.cf smtp_line_length_limit = 990 but dkimrelay signs lines broken at 998")
        .contains("a body line longer than 990 would arrive with a broken signature")
        .contains("warning: main.cf disable_mime_output_conversion = no lets Postfix re-encode");

    Path ours =
        Files.writeString(dir.resolve("dkimrelay.toml"), "[signing]\nline-length-limit = 990\n");
    assertThat(chain("--check", "--config", ours.toString()).out())
        .doesNotContain("smtp_line_length_limit");
    ExternalTool.Result filter = chain("--content-filter", "--check");
    assertThat(filter.out()).contains("warning: main.cf smtp_line_length_limit = 990");
  }

  private void postconf(String... settings) {
    for (String setting : settings) {
      assertThat(ExternalTool.run(List.of("postconf", "-c", dir.toString(), "-e", setting)).exit())
          .isZero();
    }
  }
}
