/**
 * The one signing pipeline every front-end uses: a message's body hash as it arrives, the verdict
 * at its end (fields to add, or the reply; limits are verdicts too), and the end of every message:
 * its one log line and its metrics. Imports {@code dkim}, {@code spool}, {@code reply}, {@code
 * metrics} and {@code keys}; no front-end.
 */
package org.dkimrelay.relay.pipeline;
