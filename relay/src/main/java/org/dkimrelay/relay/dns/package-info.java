/**
 * DNS look-ups with dnsjava against the configured resolver (key records, the checks). Imports
 * {@code keys}, {@code config} and {@code dkim}.
 */
package org.dkimrelay.relay.dns;
