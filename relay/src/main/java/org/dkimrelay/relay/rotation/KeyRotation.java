package org.dkimrelay.relay.rotation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyDirectory;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.MailDnsPlan;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.keys.TxtRecord;
import org.dkimrelay.relay.dkim.SigningKey;

/**
 * Carries the rotation policy out on the keys directory: creates standby keys, asks DNS about them,
 * records every change in the domain's lifecycle file, and deletes a private key once it is
 * revoked. Used by {@code rotate}, {@code keys retire|revoke} and, every {@code dns.recheck}, by
 * the relay, which then signs with the active keys only.
 */
public final class KeyRotation {
  private final KeyDirectory keys;
  private final RotationPolicy policy;
  private final Clock clock;

  public KeyRotation(KeyDirectory keys, RotationPolicy policy, Clock clock) {
    this.keys = keys;
    this.policy = policy;
    this.clock = clock;
  }

  /** One change, with the line that tells the admin about it. */
  public record Change(SigningDomain domain, String selector, KeyState state, String line) {}

  /** What one step changed, and whether the set of signing keys changed. */
  public record Outcome(List<Change> changes, boolean signingChanged) {}

  /**
   * Moves every domain's keys on: new standby keys where {@code rotation.every} says so, standby to
   * active once DNS shows the record (retiring the key it replaces), retiring to revoked, and
   * revoked to removed.
   */
  public Outcome step(KeyPublication publication, DkimKeyGenerator generator) {
    List<Change> changes = new ArrayList<>();
    boolean signingChanged = false;
    for (SigningDomain domain : domains()) {
      Path directory = keys.root().resolve(domain.name());
      if (LifecycleFile.read(directory).isEmpty() && policy.every().isEmpty()) {
        continue; // not rotated: every key of the domain signs, as before rotation existed
      }
      // DNS first, outside the file's lock: a slow resolver must not hold up a command
      Map<String, Publication> standbys = lookUpStandbys(publication, domain, directory);
      Instant now = clock.instant();
      List<Change> domainChanges = new ArrayList<>();
      List<DkimKey> created = new ArrayList<>();
      boolean[] changed = new boolean[1];
      LifecycleFile.update(
          directory,
          entries -> {
            Map<String, KeyLifecycle> known = withUnknownKeysActive(domain, entries);
            for (KeyAlgorithm algorithm : policy.dueForRotation(known, now)) {
              DkimKey key =
                  newStandby(generator, domain, algorithm, bitsOfActive(domain, known), known);
              created.add(key);
              known.put(key.selector().value(), KeyLifecycle.standby(algorithm, now));
              domainChanges.add(
                  new Change(
                      domain,
                      key.selector().value(),
                      KeyState.STANDBY,
                      domain
                          + "/"
                          + key.selector()
                          + ": new standby key, rotation is due; publish "
                          + key.txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine()));
            }
            RotationPolicy.Step step =
                policy.advance(
                    known,
                    now,
                    // a standby written while we looked is looked up at the next step
                    selector -> standbys.getOrDefault(selector, Publication.UNKNOWN));
            for (RotationPolicy.Event event : step.events()) {
              KeyLifecycle key = step.entries().get(event.selector());
              domainChanges.add(
                  new Change(domain, event.selector(), event.to(), describe(domain, event, key)));
              if (event.to() == KeyState.REVOKED) {
                revokeFiles(domain, new Selector(event.selector()), key.keyAlgorithm());
              }
            }
            changed[0] = step.signingChanged();
            return step.entries();
          },
          () -> created.forEach(this::store));
      changes.addAll(domainChanges);
      signingChanged |= changed[0];
    }
    return new Outcome(changes, signingChanged);
  }

  /** What a standby key waits for, in one line; {@code toPublish}: its record is still to paste. */
  public record Waiting(String domain, String line, boolean toPublish) {}

  /**
   * A line for every standby key: the full record while DNS has not shown it yet, else one line
   * saying when the switch comes (nothing left to paste).
   */
  public List<Waiting> waiting() {
    List<Waiting> lines = new ArrayList<>();
    for (SigningDomain domain : domains()) {
      LifecycleFile.read(keys.root().resolve(domain.name()))
          .forEach(
              (selector, key) -> {
                if (key.state() != KeyState.STANDBY) {
                  return;
                }
                String next = policy.nextAction(domain.name(), key);
                if (key.publishedSeen() != null) {
                  lines.add(
                      new Waiting(
                          domain.name(),
                          selector + "._domainkey." + domain + ": standby, " + next,
                          false));
                  return;
                }
                DkimKey standby = keys.load(domain, new Selector(selector));
                // The remark after ";" keeps the line a valid zone-file line to paste.
                lines.add(
                    new Waiting(
                        domain.name(),
                        standby.txtRecord(MailDnsPlan.DEFAULT_TTL).zoneLine()
                            + "  ; standby: "
                            + next,
                        true));
              });
    }
    return lines;
  }

  /** Creates the next standby key for {@code algorithm} (RSA: the size of the active one). */
  public DkimKey startRotation(
      DkimKeyGenerator generator, SigningDomain domain, KeyAlgorithm algorithm) {
    Path directory = keys.root().resolve(domain.name());
    DkimKey[] created = new DkimKey[1];
    LifecycleFile.update(
        directory,
        entries -> {
          Map<String, KeyLifecycle> known = withUnknownKeysActive(domain, entries);
          created[0] = newStandby(generator, domain, algorithm, bitsOfActive(domain, known), known);
          known.put(
              created[0].selector().value(), KeyLifecycle.standby(algorithm, clock.instant()));
          return known;
        },
        () -> store(created[0]));
    return created[0];
  }

  /** Sets one key's state by hand ({@code keys retire|revoke}); returns its new entry. */
  public KeyLifecycle set(SigningDomain domain, Selector selector, KeyState target) {
    Path directory = keys.root().resolve(domain.name());
    KeyLifecycle[] result = new KeyLifecycle[1];
    LifecycleFile.update(
        directory,
        entries -> {
          Map<String, KeyLifecycle> known = withUnknownKeysActive(domain, entries);
          KeyLifecycle key = known.get(selector.value());
          if (key == null) {
            throw new KeyToolException(
                "no key '"
                    + selector
                    + "' for "
                    + domain
                    + " in "
                    + keys.root()
                    + " (see 'keys list')");
          }
          Instant now = clock.instant();
          result[0] =
              switch (target) {
                case RETIRING -> {
                  if (key.state() != KeyState.ACTIVE) {
                    throw new KeyToolException(
                        selector + " is " + key.state().word() + ", not active: nothing to retire");
                  }
                  yield key.retired(now);
                }
                case REVOKED -> {
                  if (key.state() == KeyState.REVOKED || key.state() == KeyState.REMOVED) {
                    throw new KeyToolException(selector + " is already " + key.state().word());
                  }
                  revokeFiles(domain, selector, key.keyAlgorithm());
                  yield key.revoked(now);
                }
                default -> throw new IllegalArgumentException("not set by hand: " + target);
              };
          known.put(selector.value(), result[0]);
          return known;
        });
    return result[0];
  }

  /** The record that revokes a key: its selector with an empty {@code p=} (RFC 6376 §3.6.1). */
  public static TxtRecord revokedRecord(
      SigningDomain domain, Selector selector, KeyAlgorithm algorithm) {
    return new TxtRecord(
        selector.recordName(domain),
        MailDnsPlan.DEFAULT_TTL,
        "v=DKIM1; k=" + algorithm.keyType() + "; p=");
  }

  /** Every key file gets an entry: those rotation has not seen yet are active since their file. */
  private Map<String, KeyLifecycle> withUnknownKeysActive(
      SigningDomain domain, Map<String, KeyLifecycle> entries) {
    for (KeyDirectory.Entry entry : keys.list()) {
      if (entry.domain().equals(domain) && !entries.containsKey(entry.selector().value())) {
        DkimKey key = keys.load(domain, entry.selector());
        Instant since = KeyDirectory.written(entry.keyFile()).orElse(clock.instant());
        entries.put(
            entry.selector().value(),
            LifecycleFile.entryOf(entries, entry.selector().value(), key.algorithm(), since));
      }
    }
    return entries;
  }

  /**
   * The size of an RSA successor. It takes over from every active RSA key of the domain at once, so
   * it gets the largest of their sizes: a rotation never makes a key weaker than one it retires.
   */
  private int bitsOfActive(SigningDomain domain, Map<String, KeyLifecycle> entries) {
    int bits = 0;
    for (Map.Entry<String, KeyLifecycle> entry : entries.entrySet()) {
      if (entry.getValue().state() == KeyState.ACTIVE
          && entry.getValue().keyAlgorithm() == KeyAlgorithm.RSA) {
        bits = Math.max(bits, keys.load(domain, new Selector(entry.getKey())).bits());
      }
    }
    return bits > 0 ? bits : 2048;
  }

  /**
   * A new key under the next free dated selector, not stored yet: its file is written once its
   * standby entry is (see {@link LifecycleFile#update(Path, java.util.function.UnaryOperator,
   * Runnable)}). A selector in the lifecycle stays used: a revoked key's file is gone but its
   * record may not be.
   */
  private DkimKey newStandby(
      DkimKeyGenerator generator,
      SigningDomain domain,
      KeyAlgorithm algorithm,
      int rsaBits,
      Map<String, KeyLifecycle> known) {
    Selector dated = Selector.dated(YearMonth.now(clock), algorithm);
    Selector selector = dated;
    for (int n = 2; keys.contains(domain, selector) || known.containsKey(selector.value()); n++) {
      selector = new Selector(dated.value() + n);
    }
    return generator.generate(domain, selector, algorithm, rsaBits);
  }

  private void store(DkimKey key) {
    keys.store(key, key.txtRecord(MailDnsPlan.DEFAULT_TTL));
  }

  /** What DNS shows for each standby key of {@code domain} now. */
  private Map<String, Publication> lookUpStandbys(
      KeyPublication publication, SigningDomain domain, Path directory) {
    Map<String, Publication> seen = new HashMap<>();
    LifecycleFile.read(directory)
        .forEach(
            (selector, entry) -> {
              if (entry.state() == KeyState.STANDBY) {
                seen.put(selector, published(publication, domain, selector));
              }
            });
    return seen;
  }

  private Publication published(KeyPublication publication, SigningDomain domain, String selector) {
    try {
      SigningKey key = new SigningKey(keys.load(domain, new Selector(selector)));
      return publication.check(List.of(key)).get(0).state();
    } catch (GeneralSecurityException | KeyToolException e) {
      return Publication.UNKNOWN; // an unusable standby key is never switched to
    }
  }

  /** Deletes the private key and leaves the revoked record in its place. */
  private void revokeFiles(SigningDomain domain, Selector selector, KeyAlgorithm algorithm) {
    try {
      Files.deleteIfExists(keys.keyFile(domain, selector));
      Files.writeString(
          keys.recordFile(domain, selector),
          revokedRecord(domain, selector, algorithm).zoneLine() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String describe(SigningDomain domain, RotationPolicy.Event event, KeyLifecycle key) {
    String name = domain + "/" + event.selector();
    return switch (event.to()) {
      case ACTIVE -> name + ": record seen in DNS, now signing with it";
      case RETIRING ->
          name + ": retiring, no longer signing; " + policy.nextAction(domain.name(), key);
      case REVOKED ->
          name
              + ": revoked, private key deleted; publish "
              + revokedRecord(domain, new Selector(event.selector()), key.keyAlgorithm()).zoneLine()
              + "  ; it may be deleted after "
              + RotationPolicy.at(key.revokedSince().plus(policy.grace()));
      case REMOVED -> name + ": removed; delete its TXT record";
      case STANDBY -> name + ": standby";
    };
  }

  private Set<SigningDomain> domains() {
    Set<SigningDomain> domains = new LinkedHashSet<>();
    for (KeyDirectory.Entry entry : keys.list()) {
      domains.add(entry.domain());
    }
    for (Path directory : LifecycleFile.domainsUnder(keys.root())) {
      domains.add(SigningDomain.parse(directory.getFileName().toString()));
    }
    return domains;
  }
}
