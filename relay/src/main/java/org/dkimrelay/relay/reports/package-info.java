/**
 * DMARC aggregate reports (RFC 9990, and RFC 7489's): reading them out of the files and messages
 * they arrive in, adding them up per domain and source, and saying when the domain's DMARC policy
 * may move to its next stage.
 */
package org.dkimrelay.relay.reports;
