/**
 * The OpenSMTPD proc-exec filter front-end (smtpd-filters(7)): the line reader (LF only), one
 * message's held lines and the protocol loop; nothing but protocol on stdout. Imports {@code
 * pipeline}, {@code spool}, {@code reply}, {@code metrics} and, for a verdict's fields, {@code
 * dkim}; never another front-end.
 */
package org.dkimrelay.relay.opensmtpd;
