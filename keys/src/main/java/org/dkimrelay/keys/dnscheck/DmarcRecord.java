package org.dkimrelay.keys.dnscheck;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dkimrelay.keys.TagList;

/**
 * A published DMARC record (RFC 9989) as its tags, in the order written, so that every record
 * proposed from it keeps the admin's own tags (rua, ruf, fo, sp, np, adkim, aspf...) and changes
 * only what the advice is about.
 */
public final class DmarcRecord {
  /** Tags RFC 9989 removed (RFC 7489's pct, rf, ri): receivers may read them differently now. */
  static final List<String> REMOVED = List.of("pct", "rf", "ri");

  private final Map<String, String> tags;

  private DmarcRecord(Map<String, String> tags) {
    this.tags = tags;
  }

  /**
   * @throws org.dkimrelay.keys.KeyToolException when the text is not a tag list
   */
  public static DmarcRecord parse(String text) {
    return new DmarcRecord(new LinkedHashMap<>(TagList.parse(text)));
  }

  public Optional<String> tag(String name) {
    return Optional.ofNullable(tags.get(name));
  }

  public String policy() {
    return tags.getOrDefault("p", "");
  }

  /** The removed tags this record still has. */
  public List<String> removedTags() {
    return REMOVED.stream().filter(tags::containsKey).toList();
  }

  /** The same record with {@code name} set (added after the others if new). */
  public DmarcRecord with(String name, String value) {
    Map<String, String> changed = new LinkedHashMap<>(tags);
    changed.put(name, value);
    return new DmarcRecord(changed);
  }

  public DmarcRecord without(String name) {
    Map<String, String> changed = new LinkedHashMap<>(tags);
    changed.remove(name);
    return new DmarcRecord(changed);
  }

  /**
   * What to publish instead of the removed tags: without them, and, where {@code pct} below 100
   * made the policy partial, {@code t=y} (RFC 9989's testing flag) in its place.
   */
  public DmarcRecord current() {
    DmarcRecord record = this;
    boolean partial = tag("pct").map(pct -> !pct.strip().equals("100")).orElse(false);
    for (String removed : REMOVED) {
      record = record.without(removed);
    }
    return partial && !policy().equals("none") ? record.with("t", "y") : record;
  }

  /**
   * The next stage of the rollout, from this record: none to quarantine, quarantine to reject, with
   * {@code np=reject} (RFC 9989: subdomains that do not exist send no mail) unless the admin set
   * np, and without the testing flag; empty at reject.
   */
  public Optional<DmarcRecord> nextStage() {
    String next =
        switch (policy()) {
          case "none" -> "quarantine";
          case "quarantine" -> "reject";
          default -> null;
        };
    if (next == null) {
      return Optional.empty();
    }
    DmarcRecord record = current().with("p", next).without("t");
    return Optional.of(record.tags.containsKey("np") ? record : record.with("np", "reject"));
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    // v= first and p= right after it, as RFC 9989 §4.7 asks
    parts.add("v=" + tags.getOrDefault("v", "DMARC1"));
    if (tags.containsKey("p")) {
      parts.add("p=" + tags.get("p"));
    }
    tags.forEach(
        (name, value) -> {
          if (!name.equals("v") && !name.equals("p")) {
            parts.add(name + "=" + value);
          }
        });
    return String.join("; ", parts);
  }
}
