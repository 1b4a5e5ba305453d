/**
 * The running relay: {@code SigningRuntime}, the one signing runtime every long-running front-end
 * signs on (the engine loaded and checked once, DNS-aware signing, rotation, reload, metrics), and
 * {@code RelayService}, which feeds it from the proxy and the milter; the settings mapped to each
 * front-end and to the policies. May import every package but {@code cli}.
 */
package org.dkimrelay.relay.service;
