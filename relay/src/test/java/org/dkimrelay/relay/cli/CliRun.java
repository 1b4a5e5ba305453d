package org.dkimrelay.relay.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Runs the CLI in-process with a fixed clock and a given home; captures the text outputs and the
 * raw bytes written to standard output (by {@code sign}).
 */
record CliRun(int exit, String out, String err, byte[] bytes) {
  static final Instant NOW = Instant.parse("2026-11-15T10:00:00Z");

  static CliRun in(Path home, String... args) {
    return withInput(home, new byte[0], args);
  }

  static CliRun withInput(Path home, byte[] stdin, String... args) {
    return at(NOW, home, stdin, args);
  }

  /** Runs with the clock at {@code now}. */
  static CliRun at(Instant now, Path home, byte[] stdin, String... args) {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    CliContext context =
        new CliContext(
            Clock.fixed(now, ZoneOffset.UTC),
            new SecureRandom(),
            home,
            new ByteArrayInputStream(stdin),
            stdout);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(context, new PrintWriter(out), new PrintWriter(err), args);
    return new CliRun(exit, out.toString(), err.toString(), stdout.toByteArray());
  }

  /** The value of the printed zone line, strings joined as a DNS server would join them. */
  String publishedValue() {
    String zone = out.lines().filter(line -> line.contains(" IN TXT ")).findFirst().orElseThrow();
    return zone.substring(zone.indexOf(" IN TXT ") + 8).replace("\" \"", "").replace("\"", "");
  }
}
