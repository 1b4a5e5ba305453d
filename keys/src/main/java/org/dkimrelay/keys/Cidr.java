package org.dkimrelay.keys;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An address range such as {@code 127.0.0.0/8} or {@code ::1/128}: the relay's client allowlists
 * and SPF's {@code ip4:}/{@code ip6:} mechanisms. Written as its text ({@link #toString()}).
 */
public record Cidr(byte[] network, int prefixLength, String text) {
  // Four decimal octets of 0 to 255: anything else InetAddress.getByName would take for a name.
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%\\w+)?");

  public static Cidr parse(String text) {
    String trimmed = text.trim();
    int slash = trimmed.indexOf('/');
    String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
    byte[] bytes =
        literal(address)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "'" + text + "' is not an address range such as 192.0.2.0/24"))
            .getAddress();
    int bits = bytes.length * 8;
    int prefix;
    try {
      prefix = slash < 0 ? bits : Integer.parseInt(trimmed.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "': the prefix length is not a number");
    }
    if (prefix < 0 || prefix > bits) {
      throw new IllegalArgumentException("'" + text + "': the prefix length is not 0 to " + bits);
    }
    return new Cidr(bytes, prefix, trimmed);
  }

  /**
   * An IPv4 (four decimal parts) or IPv6 literal, parsed without a DNS lookup; empty for anything
   * else, names included.
   */
  public static Optional<InetAddress> literal(String text) {
    if (!IPV4.matcher(text).matches() && !(text.contains(":") && IPV6.matcher(text).matches())) {
      return Optional.empty(); // InetAddress.getByName would ask DNS for a name
    }
    try {
      return Optional.of(InetAddress.getByName(text));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** True for 0.0.0.0/0 and ::/0, which let every address in. */
  public boolean everyone() {
    return prefixLength == 0;
  }

  /** True when {@code address} lies in this range (IPv4 and IPv6 never match each other). */
  public boolean contains(InetAddress address) {
    byte[] candidate = address.getAddress();
    if (candidate.length != network.length) {
      return false;
    }
    int fullBytes = prefixLength / 8;
    if (!Arrays.equals(candidate, 0, fullBytes, network, 0, fullBytes)) {
      return false;
    }
    int remainingBits = prefixLength % 8;
    if (remainingBits == 0) {
      return true;
    }
    int mask = (0xFF << (8 - remainingBits)) & 0xFF;
    return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Cidr that && text.equals(that.text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}
