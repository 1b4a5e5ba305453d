/**
 * Key rotation: the lifecycle file, the states a key goes through and the steps between them, and
 * whether a key's record is published. Imports {@code keys} and {@code dkim}.
 */
package org.dkimrelay.relay.rotation;
