/**
 * The {@code dkimrelay} command line: one picocli command class per subcommand, each parsing its
 * options, calling the packages that do the work and printing; one handler maps failures to an exit
 * status and one line. May import every package; nothing imports it.
 */
package org.dkimrelay.relay.cli;
