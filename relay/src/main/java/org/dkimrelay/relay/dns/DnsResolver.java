package org.dkimrelay.relay.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.dkimrelay.keys.dnscheck.DnsQuery;
import org.dkimrelay.relay.config.HostPort;
import org.dkimrelay.relay.dkim.KeyRecordSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * DNS through dnsjava, against the system resolver or a given server. "No such record" and "could
 * not ask" are kept apart: a timeout or SERVFAIL is a temporary failure, never a missing record.
 */
public final class DnsResolver implements KeyRecordSource, DnsQuery {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final Resolver resolver;
  private final String server; // for messages: "127.0.0.1:5353", or the system's servers

  private DnsResolver(Resolver resolver, String server) {
    this.resolver = resolver;
    this.server = server;
  }

  /** {@code system}, or {@code HOST[:PORT]} of a DNS server. */
  public static DnsResolver using(String resolver) {
    try {
      Resolver chosen;
      String server;
      if (resolver.equals("system")) {
        chosen = Lookup.getDefaultResolver();
        server =
            "the system resolver ("
                + ResolverConfig.getCurrentConfig().servers().stream()
                    .map(address -> address.getHostString() + ":" + address.getPort())
                    .collect(Collectors.joining(", "))
                + ")";
      } else {
        HostPort address = HostPort.parse(resolver, 53);
        SimpleResolver simple = new SimpleResolver(address.host());
        simple.setPort(address.port());
        chosen = simple;
        server = address.host() + ":" + address.port();
      }
      chosen.setTimeout(TIMEOUT);
      return new DnsResolver(chosen, server);
    } catch (UnknownHostException | IllegalArgumentException e) {
      throw new IllegalArgumentException("resolver '" + resolver + "': " + e.getMessage());
    }
  }

  @Override
  public List<String> txt(String name) throws DnsFailure {
    List<String> values = new ArrayList<>();
    for (Record record : query(name, Type.TXT)) {
      // getStrings() gives the zone-file text form (quoted); the raw bytes are the value
      StringBuilder value = new StringBuilder();
      for (byte[] string : ((TXTRecord) record).getStringsAsByteArrays()) {
        value.append(new String(string, StandardCharsets.UTF_8));
      }
      values.add(value.toString());
    }
    return values;
  }

  /** {@link KeyRecordSource}: the same TXT lookup. */
  @Override
  public List<String> keyRecords(String name) throws DnsFailure {
    return txt(name);
  }

  @Override
  public List<Mx> mx(String name) throws DnsFailure {
    List<Mx> records = new ArrayList<>();
    for (Record record : query(name, Type.MX)) {
      MXRecord mx = (MXRecord) record;
      records.add(new Mx(mx.getPriority(), withoutDot(mx.getTarget())));
    }
    records.sort(Comparator.comparingInt(Mx::preference));
    return records;
  }

  @Override
  public List<InetAddress> addresses(String name, Family family) throws DnsFailure {
    List<InetAddress> addresses = new ArrayList<>();
    for (Record record : run(name, family == Family.IPV4 ? Type.A : Type.AAAA).records()) {
      addresses.add(
          record instanceof ARecord a ? a.getAddress() : ((AAAARecord) record).getAddress());
    }
    return addresses;
  }

  @Override
  public boolean isAlias(String name) throws DnsFailure {
    try {
      Answer a = run(name, Type.A);
      if (a.alias() || !a.records().isEmpty()) {
        return a.alias(); // the A answer tells: no need to ask for AAAA
      }
    } catch (DnsFailure e) {
      return run(name, Type.AAAA).alias(); // throws when neither can be asked
    }
    return run(name, Type.AAAA).alias();
  }

  /**
   * The server in words, when it gives no answer at all (timeout, unreachable); empty when it
   * answers, whatever the answer. One question, so a dead server costs one timeout, not one per
   * record.
   */
  public Optional<String> silence(String name) {
    try {
      run(name, Type.TXT);
      return Optional.empty();
    } catch (DnsFailure e) {
      return e.kind() == DnsFailure.Kind.NO_ANSWER
          ? Optional.of(
              server + " did not answer (" + e.getMessage().replace(" from " + server, "") + ")")
          : Optional.empty();
    }
  }

  @Override
  public List<String> ptr(InetAddress address) throws DnsFailure {
    List<String> names = new ArrayList<>();
    for (Record record : query(ReverseMap.fromAddress(address).toString(), Type.PTR)) {
      names.add(withoutDot(((PTRRecord) record).getTarget()));
    }
    return names;
  }

  private List<Record> query(String name, int type) throws DnsFailure {
    return run(name, type).records();
  }

  /** The records of the type asked for, and whether the name asked was an alias (CNAME). */
  private record Answer(List<Record> records, boolean alias) {}

  private Answer run(String name, int type) throws DnsFailure {
    Lookup lookup;
    try {
      lookup = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), type);
    } catch (TextParseException e) {
      throw new DnsFailure("'" + name + "' is not a DNS name");
    }
    lookup.setResolver(resolver);
    lookup.setCache(new Cache()); // fresh answers: a record just published must be seen
    Record[] records = lookup.run();
    boolean alias = lookup.getAliases().length > 0; // the CNAMEs followed to the answer
    return switch (lookup.getResult()) {
      case Lookup.SUCCESSFUL -> {
        List<Record> ofType = new ArrayList<>();
        for (Record record : records) {
          if (record.getType() == type) {
            ofType.add(record); // an answer may start with the CNAME chain
          }
        }
        yield new Answer(ofType, alias);
      }
      case Lookup.HOST_NOT_FOUND, Lookup.TYPE_NOT_FOUND -> new Answer(List.of(), alias);
      default -> throw failure(name, type, lookup.getErrorString());
    };
  }

  private DnsFailure failure(String name, int type, String error) {
    DnsFailure.Kind kind =
        error.contains("REFUSED")
            ? DnsFailure.Kind.REFUSED
            : error.contains("timed out") || error.contains("network error")
                ? DnsFailure.Kind.NO_ANSWER
                : DnsFailure.Kind.OTHER;
    return new DnsFailure(kind, name + " " + Type.string(type) + ": " + error + " from " + server);
  }

  private static String withoutDot(Name name) {
    String text = name.toString();
    return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
  }
}
