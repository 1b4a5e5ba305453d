/**
 * The SMTP proxy's inbound side, and the only user of SubEthaSMTP: sessions, commands, the DATA
 * reader, the server's TLS. Imports {@code pipeline}, {@code spool}, {@code reply}, {@code
 * upstream} (its next hop), {@code dkim}, {@code metrics}, {@code bytes} and {@code keys}; never
 * another front-end.
 */
package org.dkimrelay.relay.smtp;
