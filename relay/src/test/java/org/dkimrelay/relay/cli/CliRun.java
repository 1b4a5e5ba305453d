package org.dkimrelay.relay.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Runs the CLI in-process with a fixed clock and a given home; captures both outputs. */
record CliRun(int exit, String out, String err) {
  static final Instant NOW = Instant.parse("2026-11-15T10:00:00Z");

  static CliRun in(Path home, String... args) {
    CliContext context = new CliContext(Clock.fixed(NOW, ZoneOffset.UTC), new SecureRandom(), home);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(context, new PrintWriter(out), new PrintWriter(err), args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  /** The value of the printed zone line, strings joined as a DNS server would join them. */
  String publishedValue() {
    String zone = out.lines().filter(line -> line.contains(" IN TXT ")).findFirst().orElseThrow();
    return zone.substring(zone.indexOf(" IN TXT ") + 8).replace("\" \"", "").replace("\"", "");
  }
}
