/**
 * {@code dkimrelay.toml} bound to plain data and validated into immutable settings records, with
 * the file, line and setting named in every error. Imports {@code keys}; today also {@code dkim}
 * (the signing policy and the engine's loading in {@code SigningSetup}) and {@code rotation} (the
 * rotation policy), which the one signing runtime is to take over so that config is a leaf.
 */
package org.dkimrelay.relay.config;
