/**
 * DKIM itself, pure: the signing table and policy, header and body canonicalisation, signing and
 * verifying, the Ed25519 signature (RFC 8463). No sockets, no files: keys and records come in as
 * values. Imports {@code keys} and {@code bytes}.
 */
package org.dkimrelay.relay.dkim;
