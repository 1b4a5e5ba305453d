/**
 * The proxy's SMTP client to its next hop: commands and their strict replies, STARTTLS, AUTH, one
 * connection per inbound session. Imports {@code wire} (SMTP on the wire), {@code reply} and {@code
 * bytes}.
 */
package org.dkimrelay.relay.upstream;
