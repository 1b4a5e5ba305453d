/**
 * Checking a domain's published mail records (MX, A, PTR, SPF, DKIM, DMARC) against its keys and
 * saying per record what to fix; the look-ups come in through an interface, so these checks do no
 * I/O of their own. Imports {@code org.dkimrelay.keys}.
 */
package org.dkimrelay.keys.dnscheck;
