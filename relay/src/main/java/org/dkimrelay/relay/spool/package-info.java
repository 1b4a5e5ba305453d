/**
 * What a message is while it passes: the proxy's spooler (line ends normalised once), byte stores
 * in memory or a private file, header buffers, the one memory budget all front-ends share, and
 * long-line breaking. Imports {@code bytes}.
 */
package org.dkimrelay.relay.spool;
