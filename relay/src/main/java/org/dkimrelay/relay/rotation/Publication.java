package org.dkimrelay.relay.rotation;

/**
 * What DNS says of a key's record: published as the local key, not (missing or different), or
 * unknown (the lookup failed, which never counts as missing).
 */
public enum Publication {
  PUBLISHED,
  NOT_PUBLISHED,
  UNKNOWN
}
