package org.dkimrelay.relay.service;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dkim.SigningEngine;

/**
 * What a reload tells the admin beyond "reloaded": what waits for a restart, what lost its keys.
 */
final class ReloadNotes {
  private ReloadNotes() {}

  /** Set when a section that only a restart applies has changed. */
  static String restartNeeded(RelayConfig fresh, RelayConfig running) {
    boolean changed =
        !fresh.listen().equals(running.listen())
            || !fresh.milter().equals(running.milter())
            || !fresh.upstream().equals(running.upstream())
            || !fresh.dns().equals(running.dns())
            || !fresh.metrics().equals(running.metrics())
            || !fresh.rotation().equals(running.rotation());
    return changed
        ? "; listen, milter, upstream, dns, metrics and rotation changes take effect at restart"
        : "";
  }

  /** One warning per domain that had keys before and has none after: its mail goes unsigned. */
  static List<String> droppedDomains(
      SigningEngine before, SigningEngine after, RelayConfig config) {
    Set<SigningDomain> remaining = domains(after);
    return domains(before).stream()
        .filter(domain -> !remaining.contains(domain))
        .sorted(java.util.Comparator.comparing(SigningDomain::name))
        .map(
            domain ->
                "dkimrelay: warning: reload leaves "
                    + domain
                    + " without keys: its mail is no longer signed (signing.unknown-domain = "
                    + config.signing().unknownDomain().word()
                    + ")")
        .toList();
  }

  private static Set<SigningDomain> domains(SigningEngine engine) {
    return engine.table().keys().stream()
        .map(key -> key.key().domain())
        .collect(Collectors.toSet());
  }
}
