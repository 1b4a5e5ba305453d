/**
 * The milter front-end for Postfix: the packet codec, the protocol's names, a session state machine
 * without a socket, and the listener (allow list, session slots, timeouts). Feeds the pipeline and
 * answers with its verdict. Imports {@code pipeline}, {@code spool}, {@code reply}, {@code
 * metrics}, {@code config} (the address), {@code keys} and, for a verdict's fields, {@code dkim};
 * never another front-end.
 */
package org.dkimrelay.relay.milter;
