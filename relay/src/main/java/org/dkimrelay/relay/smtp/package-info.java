/**
 * The SMTP proxy's inbound side, and the only user of SubEthaSMTP: sessions, commands, the server's
 * TLS. Imports {@code pipeline}, {@code spool}, {@code reply}, {@code wire} (SMTP on the wire),
 * {@code upstream} (its next hop: the session, its settings and failures), {@code dkim}, {@code
 * metrics}, {@code bytes} and {@code keys}; never another front-end.
 */
package org.dkimrelay.relay.smtp;
