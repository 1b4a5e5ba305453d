package org.dkimrelay.keys;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An address range such as {@code 127.0.0.0/8} or {@code ::1/128}: the relay's client allowlists
 * and SPF's {@code ip4:}/{@code ip6:} mechanisms. Written as its text ({@link #toString()}).
 */
public record Cidr(byte[] network, int prefixLength, String text) {

  public static Cidr parse(String text) {
    String trimmed = text.trim();
    int slash = trimmed.indexOf('/');
    String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
    if (!address.matches("[0-9A-Fa-f:.]+")) {
      throw new IllegalArgumentException(
          "'" + text + "' is not an address range such as 192.0.2.0/24");
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup happens
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not an address range such as 192.0.2.0/24");
    }
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
