package org.dkimrelay.relay.wire;

import java.util.Optional;
import java.util.regex.Pattern;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;

/**
 * The syntax of the addresses in MAIL FROM and RCPT TO (RFC 5321 §4.1.2, with RFC 6531 §3.3 for
 * SMTPUTF8), checked before a path goes upstream: a path upstream would read differently from us (a
 * NUL, a stray {@code >}, a space) is refused here instead of being passed on.
 */
public final class MailPath {
  /** Why a path cannot be used. */
  public enum Problem {
    /** Not a Path of RFC 5321 §4.1.2. */
    SYNTAX,
    /** Non-ASCII characters in a transaction without SMTPUTF8 (RFC 6531 §3.5). */
    NON_ASCII;

    /** The reply: {@code syntax} (sender's or recipient's), or RFC 6531's 553 5.6.7. */
    public SmtpReply reply(SmtpReply syntax) {
      return this == SYNTAX ? syntax : Replies.NON_ASCII_ADDRESS;
    }
  }

  private static final Pattern ASCII = mailbox("");
  // RFC 6531 §3.3: atext, qtextSMTP and sub-domain (U-label) also take UTF8-non-ascii.
  private static final Pattern UTF8 = mailbox("\\x{80}-\\x{10FFFF}");

  private MailPath() {}

  /** A reverse-path (MAIL FROM), without its angle brackets; empty is the null path. */
  public static Optional<Problem> checkReversePath(String path, boolean smtpUtf8) {
    return path.isEmpty() ? Optional.empty() : check(path, smtpUtf8);
  }

  /** A forward-path (RCPT TO), without its angle brackets; {@code Postmaster} needs no domain. */
  public static Optional<Problem> checkForwardPath(String path, boolean smtpUtf8) {
    return path.equalsIgnoreCase("postmaster") ? Optional.empty() : check(path, smtpUtf8);
  }

  private static Optional<Problem> check(String path, boolean smtpUtf8) {
    if (!smtpUtf8 && !path.chars().allMatch(c -> c < 0x80)) {
      return Optional.of(Problem.NON_ASCII);
    }
    return (smtpUtf8 ? UTF8 : ASCII).matcher(path).matches()
        ? Optional.empty()
        : Optional.of(Problem.SYNTAX);
  }

  private static Pattern mailbox(String nonAscii) {
    String atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~" + nonAscii + "-]";
    String dotString = atext + "+(?:\\." + atext + "+)*";
    String quotedString =
        "\"(?:[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E" + nonAscii + "]|\\\\[\\x20-\\x7E])*\"";
    String letDig = "[A-Za-z0-9" + nonAscii + "]";
    String subDomain = letDig + "(?:[A-Za-z0-9" + nonAscii + "-]*" + letDig + ")?";
    String domain = subDomain + "(?:\\." + subDomain + ")*";
    String addressLiteral = "\\[[\\x21-\\x5A\\x5E-\\x7E]+\\]"; // dcontent, any tag
    // A-d-l: an obsolete source route, accepted and passed on (RFC 5321 §4.1.2 and §C).
    String sourceRoute = "(?:@" + domain + "(?:,@" + domain + ")*:)?";
    return Pattern.compile(
        sourceRoute
            + "(?:"
            + dotString
            + "|"
            + quotedString
            + ")@(?:"
            + domain
            + "|"
            + addressLiteral
            + ")");
  }
}
