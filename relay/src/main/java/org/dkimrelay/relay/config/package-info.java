/**
 * {@code dkimrelay.toml} bound to plain data and validated into immutable settings records, with
 * the file, line and setting named in every error; the defaults have their one source here. A leaf:
 * imports nothing of ours but {@code keys} ({@code service.Policies} maps the settings to the
 * signing and rotation policies). Checked by {@code ArchitectureTest}.
 */
package org.dkimrelay.relay.config;
