/**
 * The bundled key tool: generating, reading (PEM in the formats users have) and storing DKIM keys
 * with the checks a keys directory needs, and rendering the DNS records a mail domain publishes.
 * Knows nothing of SMTP or of the relay module.
 */
package org.dkimrelay.keys;
