/**
 * Reading an OpenDKIM set-up ({@code opendkim.conf}, its tables and keys) for {@code
 * import-opendkim}. Imports {@code keys} and {@code config}.
 */
package org.dkimrelay.relay.opendkim;
