/** The Prometheus registry and the {@code /metrics} listener. Imports nothing of ours. */
package org.dkimrelay.relay.metrics;
