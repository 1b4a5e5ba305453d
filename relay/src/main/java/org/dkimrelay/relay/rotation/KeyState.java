package org.dkimrelay.relay.rotation;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Where a key is in its life: {@code standby} (its record is to be published; not signing) → {@code
 * active} (signing) → {@code retiring} (not signing; its record stays published for signed mail
 * still in flight) → {@code revoked} (private key deleted; the empty {@code p=} record published) →
 * {@code removed} (the record may go).
 */
public enum KeyState {
  STANDBY,
  ACTIVE,
  RETIRING,
  REVOKED,
  REMOVED;

  @JsonCreator
  static KeyState parse(String text) {
    return valueOf(text.trim().toUpperCase(Locale.ROOT));
  }

  @JsonValue
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
