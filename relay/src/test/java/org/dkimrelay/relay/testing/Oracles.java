package org.dkimrelay.relay.testing;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The independent DKIM implementations our output must satisfy: dkimpy (Debian python3-dkim, run by
 * /usr/bin/python3 where Debian installs it) and Perl Mail::DKIM (libmail-dkim-perl; RSA only). DNS
 * records are supplied offline as name → value.
 */
public final class Oracles {
  private static final String PYTHON = "/usr/bin/python3";

  private Oracles() {}

  public static ExternalTool.Result dkimpyVerify(byte[] message, Map<String, String> records) {
    return ExternalTool.run(
        message, withRecords(List.of(PYTHON, script("dkimpy_verify.py")), records));
  }

  public static ExternalTool.Result mailDkimVerify(byte[] message, Map<String, String> records) {
    return ExternalTool.run(
        message, withRecords(List.of("perl", script("maildkim_verify.pl")), records));
  }

  /** Verifies every file in {@code directory}; each output line starts with "FILE: ". */
  public static ExternalTool.Result dkimpyVerifyDirectory(
      Path directory, Map<String, String> records) {
    return ExternalTool.run(
        new byte[0],
        withRecords(
            List.of(PYTHON, script("dkimpy_verify.py"), "--dir", directory.toString()), records));
  }

  /** Verifies every file in {@code directory}; each output line starts with "FILE: ". */
  public static ExternalTool.Result mailDkimVerifyDirectory(
      Path directory, Map<String, String> records) {
    return ExternalTool.run(
        new byte[0],
        withRecords(
            List.of("perl", script("maildkim_verify.pl"), "--dir", directory.toString()), records));
  }

  public static ExternalTool.Result dkimpySign(
      byte[] message, Path keyFile, String selector, String domain) {
    return ExternalTool.run(
        message, List.of(PYTHON, script("dkimpy_sign.py"), keyFile.toString(), selector, domain));
  }

  /**
   * The DKIM-Signature fields the milter at {@code socket} (OpenDKIM's form, {@code
   * inet:PORT@127.0.0.1}) adds to one message per From: address, driven by OpenDKIM's miltertest:
   * one line per signature, {@code ADDRESS<TAB>FIELD}, or {@code ADDRESS<TAB>none}.
   */
  public static ExternalTool.Result milterSignatures(String socket, List<String> addresses) {
    return ExternalTool.run(
        List.of(
            "miltertest",
            "-D",
            "socket=" + socket,
            "-D",
            "addresses=" + String.join(",", addresses),
            "-s",
            script("milter_signatures.lua")));
  }

  private static List<String> withRecords(List<String> command, Map<String, String> records) {
    List<String> full = new ArrayList<>(command);
    records.forEach((name, value) -> full.add(name + "=" + value));
    return full;
  }

  private static String script(String name) {
    try {
      return Path.of(Oracles.class.getResource("/oracles/" + name).toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
