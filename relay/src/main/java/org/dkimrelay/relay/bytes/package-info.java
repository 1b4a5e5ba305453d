/**
 * Byte-parallel scanning ({@code WordScan}: eight bytes at a time) shared by the passes over every
 * message byte. Imports nothing of ours.
 */
package org.dkimrelay.relay.bytes;
