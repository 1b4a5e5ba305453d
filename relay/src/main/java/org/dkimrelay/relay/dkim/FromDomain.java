package org.dkimrelay.relay.dkim;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.util.List;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.SigningDomain;

/**
 * The one author address in {@code From:}, whose domain chooses the signing key. Jakarta Mail's
 * {@link InternetAddress} does the RFC 5322 parsing (display names, comments, quoted strings,
 * encoded words); this class enforces what signing needs.
 */
final class FromDomain {
  private FromDomain() {}

  /** The author's address as written (local part and domain) and its domain. */
  record Author(String address, SigningDomain domain) {}

  /**
   * @throws MalformedMessageException when there is not exactly one {@code From:} with exactly one
   *     address that has a valid domain
   */
  static Author of(HeaderBlock headers) throws MalformedMessageException {
    List<HeaderField> from = headers.all("From");
    if (from.isEmpty()) {
      throw new MalformedMessageException("no From: header field");
    }
    if (from.size() > 1) {
      // RFC 5322 §3.6: exactly one From; a second one is the classic DKIM replay trick
      throw new MalformedMessageException(
          from.size() + " From: header fields (exactly one allowed)");
    }
    String value = from.get(0).unfoldedValue().trim();
    InternetAddress[] addresses;
    try {
      addresses = InternetAddress.parseHeader(value, true);
    } catch (AddressException e) {
      throw new MalformedMessageException("From: cannot be parsed: " + oneLine(e.getMessage()));
    }
    if (addresses.length != 1 || addresses[0].isGroup()) {
      throw new MalformedMessageException(
          "From: must hold exactly one address, it holds "
              + (addresses.length == 1 ? "a group" : addresses.length));
    }
    String address = addresses[0].getAddress();
    int at = address.lastIndexOf('@');
    if (at < 0 || at == address.length() - 1) {
      throw new MalformedMessageException("From: address '" + oneLine(address) + "' has no domain");
    }
    String domain = address.substring(at + 1);
    if (domain.startsWith("[")) {
      throw new MalformedMessageException("From: address has an address literal, not a domain");
    }
    try {
      return new Author(address, SigningDomain.parse(domain));
    } catch (KeyToolException e) {
      if (domain.matches("[A-Za-z0-9-]+")) {
        // A host name such as OpenSMTPD's bounces carry (MAILER-DAEMON@vm): a domain no key can
        // be for, not a malformed message.
        throw new NoSigningDomain(domain.toLowerCase(java.util.Locale.ROOT));
      }
      throw new MalformedMessageException("From: " + e.getMessage());
    }
  }

  /** The From: domain is well formed but can never have a key (a single label). */
  static final class NoSigningDomain extends MalformedMessageException {
    private static final long serialVersionUID = 1L;
    private final String domain;

    NoSigningDomain(String domain) {
      super("From: domain '" + domain + "' is a single label: no key can be for it");
      this.domain = domain;
    }

    String domain() {
      return domain;
    }
  }

  private static String oneLine(String text) {
    return text == null ? "" : text.replaceAll("[\\r\\n\\t]+", " ");
  }
}
