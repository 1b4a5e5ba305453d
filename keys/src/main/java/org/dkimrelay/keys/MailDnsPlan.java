package org.dkimrelay.keys;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every record a sending mail domain needs, with a one-line reason each: A/AAAA and MX for the mail
 * host, PTR (set at the address's provider), SPF, one DKIM record per key, and DMARC as a staged
 * rollout.
 */
public final class MailDnsPlan {
  public static final int DEFAULT_TTL = 3600;

  /** One record to publish. {@code inOwnZone} is false for PTR, which the IP's provider sets. */
  public record PlannedRecord(
      String name, String type, int ttl, String value, String why, boolean inOwnZone) {

    /** The record as a zone-file line; TXT values are split into strings of at most 255 bytes. */
    public String zoneLine() {
      if (type.equals("TXT")) {
        return new TxtRecord(name, ttl, value).zoneLine();
      }
      return name + " " + ttl + " IN " + type + " " + value;
    }
  }

  /** What the plan is made from. {@code ipv4} or {@code ipv6}, or both, are present. */
  public record Inputs(
      SigningDomain domain,
      String mailHost,
      Optional<Inet4Address> ipv4,
      Optional<Inet6Address> ipv6,
      List<DkimKey> keys,
      String reportAddress) {

    public Inputs {
      if (ipv4.isEmpty() && ipv6.isEmpty()) {
        throw new KeyToolException(
            "the mail host's address is needed: give --ip IPV4 and/or --ipv6 IPV6");
      }
      keys = List.copyOf(keys);
    }
  }

  private MailDnsPlan() {}

  /** The records to publish, in the order an admin best adds them. */
  public static List<PlannedRecord> records(Inputs in) {
    String host = in.mailHost() + ".";
    String domain = in.domain().fqdn();
    List<PlannedRecord> records = new ArrayList<>();
    in.ipv4()
        .ifPresent(
            ip ->
                records.add(
                    record(host, "A", ip.getHostAddress(), "the mail host's IPv4 address", true)));
    in.ipv6()
        .ifPresent(
            ip ->
                records.add(
                    record(host, "AAAA", compact(ip), "the mail host's IPv6 address", true)));
    records.add(
        record(
            domain, "MX", "10 " + host, "where other servers deliver mail for the domain", true));
    in.ipv4().ifPresent(ip -> records.add(ptr(ip, host)));
    in.ipv6().ifPresent(ip -> records.add(ptr(ip, host)));
    records.add(
        record(
            domain,
            "TXT",
            spf(in),
            "SPF: only these addresses send mail for the domain; all others fail",
            true));
    for (DkimKey key : in.keys()) {
      records.add(
          record(
              key.selector().recordName(in.domain()),
              "TXT",
              key.record().value(),
              "DKIM public key, selector " + key.selector() + " (" + key.describe() + ")",
              true));
    }
    records.add(
        record(
            "_dmarc." + domain,
            "TXT",
            dmarcStages(in.reportAddress()).get(0),
            "DMARC stage 1: monitor only; read the daily reports sent to rua for 2-4 weeks",
            true));
    return records;
  }

  /**
   * The DMARC rollout (RFC 9989): monitor ({@code p=none}), then quarantine, then reject, each with
   * {@code np=reject} once enforcing (names under the domain that do not exist send no mail). One
   * DMARC record is published at a time; each stage replaces the one before. No {@code pct=}: RFC
   * 9989 removed it, and receivers may apply a partial one in full.
   */
  public static List<String> dmarcStages(String reportAddress) {
    String rua = "rua=mailto:" + reportAddress;
    return List.of(
        "v=DMARC1; p=none; " + rua,
        "v=DMARC1; p=quarantine; " + rua + "; np=reject",
        "v=DMARC1; p=reject; " + rua + "; np=reject");
  }

  /** MTA-STS's policy modes (RFC 8461 §3.2): report only, or refuse delivery without valid TLS. */
  public enum MtaStsMode {
    TESTING,
    ENFORCE;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws KeyToolException for anything but testing or enforce
     */
    public static MtaStsMode parse(String text) {
      for (MtaStsMode mode : values()) {
        if (mode.word().equals(text.strip().toLowerCase(Locale.ROOT))) {
          return mode;
        }
      }
      throw new KeyToolException(
          "--mta-sts '" + text + "': testing (report only) or enforce, as RFC 8461 §3.2 says");
    }
  }

  /**
   * The TLS records, each optional: TLS-RPT (RFC 8460 §3), where senders report failed TLS to this
   * domain's MX; MTA-STS (RFC 8461 §3.1), which tells senders to require valid TLS to it, with
   * {@code id} changed whenever the policy file changes.
   */
  public static List<PlannedRecord> tlsRecords(
      SigningDomain domain, Optional<String> tlsReports, Optional<String> mtaStsId) {
    List<PlannedRecord> records = new ArrayList<>();
    tlsReports.ifPresent(
        address ->
            records.add(
                record(
                    "_smtp._tls." + domain.fqdn(),
                    "TXT",
                    "v=TLSRPTv1; rua=mailto:" + address,
                    "TLS-RPT: senders report TLS failures to your MX here, daily",
                    true)));
    mtaStsId.ifPresent(
        id ->
            records.add(
                record(
                    "_mta-sts." + domain.fqdn(),
                    "TXT",
                    "v=STSv1; id=" + id,
                    "MTA-STS: a policy exists at https://mta-sts."
                        + domain.name()
                        + "/.well-known/mta-sts.txt; change id whenever it changes",
                    true)));
    return records;
  }

  /** The MTA-STS policy file to serve over HTTPS (RFC 8461 §3.2), one week's max_age. */
  public static String mtaStsPolicy(MtaStsMode mode, String mailHost) {
    return "version: STSv1\r\nmode: "
        + mode.word()
        + "\r\nmx: "
        + mailHost
        + "\r\nmax_age: 604800\r\n";
  }

  /** Parses an IPv4 literal; never looks a name up. */
  public static Inet4Address parseIpv4(String text) {
    if (!(Cidr.literal(text.trim()).orElse(null) instanceof Inet4Address ipv4)) {
      throw new KeyToolException(
          "invalid IPv4 address '" + text + "': expected such as 192.0.2.10");
    }
    return ipv4;
  }

  /** Parses an IPv6 literal; never looks a name up. */
  public static Inet6Address parseIpv6(String text) {
    String trimmed = text.trim();
    Optional<InetAddress> address =
        trimmed.contains(":") ? Cidr.literal(trimmed) : Optional.empty();
    if (address.isEmpty()) {
      throw new KeyToolException(
          "invalid IPv6 address '" + text + "': expected such as 2001:db8::25");
    }
    if (!(address.get() instanceof Inet6Address ipv6)) {
      throw new KeyToolException("'" + text + "' is an IPv4 address: give it with --ip");
    }
    return ipv6;
  }

  /** The reverse-DNS name of an address (RFC 1035 §3.5, RFC 3596 §2.5), with trailing dot. */
  public static String reverseName(InetAddress address) {
    byte[] bytes = address.getAddress();
    StringBuilder name = new StringBuilder();
    if (address instanceof Inet4Address) {
      for (int i = bytes.length - 1; i >= 0; i--) {
        name.append(bytes[i] & 0xFF).append('.');
      }
      return name.append("in-addr.arpa.").toString();
    }
    for (int i = bytes.length - 1; i >= 0; i--) {
      name.append(Character.forDigit(bytes[i] & 0x0F, 16)).append('.');
      name.append(Character.forDigit((bytes[i] >> 4) & 0x0F, 16)).append('.');
    }
    return name.append("ip6.arpa.").toString();
  }

  private static PlannedRecord ptr(InetAddress ip, String host) {
    return record(
        reverseName(ip),
        "PTR",
        host,
        "set by the provider of "
            + hostAddress(ip)
            + ", not in your zone; must equal the name in your SMTP banner and HELO",
        false);
  }

  private static String spf(Inputs in) {
    StringBuilder spf = new StringBuilder("v=spf1");
    in.ipv4().ifPresent(ip -> spf.append(" ip4:").append(ip.getHostAddress()));
    in.ipv6().ifPresent(ip -> spf.append(" ip6:").append(compact(ip)));
    return spf.append(" -all").toString();
  }

  private static PlannedRecord record(
      String name, String type, String value, String why, boolean inOwnZone) {
    return new PlannedRecord(name, type, DEFAULT_TTL, value, why, inOwnZone);
  }

  private static String hostAddress(InetAddress ip) {
    return ip instanceof Inet6Address ipv6 ? compact(ipv6) : ip.getHostAddress();
  }

  /**
   * RFC 5952 §4: lower-case hex, no leading zeros, the longest run of two or more zero groups as
   * "::".
   */
  static String compact(Inet6Address ip) {
    byte[] bytes = ip.getAddress();
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((bytes[2 * i] & 0xFF) << 8) | (bytes[2 * i + 1] & 0xFF);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; i++) {
      int length = 0;
      while (i + length < 8 && groups[i + length] == 0) {
        length++;
      }
      if (length > bestLength) {
        bestStart = i;
        bestLength = length;
      }
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        text.append("::");
        i += bestLength - 1;
        continue;
      }
      if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
        text.append(':');
      }
      text.append(Integer.toHexString(groups[i]));
    }
    return text.toString();
  }
}
