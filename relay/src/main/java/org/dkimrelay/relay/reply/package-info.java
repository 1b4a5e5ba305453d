/**
 * Every SMTP reply dkimrelay gives of its own, as values ({@code SmtpReply}), whichever front-end
 * gives it. Imports nothing of ours.
 */
package org.dkimrelay.relay.reply;
