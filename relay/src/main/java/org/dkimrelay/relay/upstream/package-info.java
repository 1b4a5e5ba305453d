/**
 * The proxy's SMTP client to its next hop: strict RFC 5321 replies, dot-stuffing, STARTTLS, AUTH,
 * one connection per inbound session. Imports {@code reply} and {@code bytes}.
 */
package org.dkimrelay.relay.upstream;
