/**
 * SMTP on the wire (RFC 5321), shared by the proxy's inbound side ({@code smtp}) and its client to
 * the next hop ({@code upstream}): DATA decoding with dot-unstuffing, dot-stuffing, strict reply
 * reading, envelope paths and MAIL parameters. Imports {@code reply} and {@code bytes} only.
 */
package org.dkimrelay.relay.wire;
