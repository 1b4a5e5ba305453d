package org.dkimrelay.relay.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.dkimrelay.keys.dnscheck.DnsQuery;
import org.dkimrelay.relay.config.HostPort;
import org.dkimrelay.relay.dkim.KeyRecordSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
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

  private DnsResolver(Resolver resolver) {
    this.resolver = resolver;
  }

  /** {@code system}, or {@code HOST[:PORT]} of a DNS server. */
  public static DnsResolver using(String resolver) {
    try {
      Resolver chosen;
      if (resolver.equals("system")) {
        chosen = Lookup.getDefaultResolver();
      } else {
        HostPort server = HostPort.parse(resolver, 53);
        SimpleResolver simple = new SimpleResolver(server.host());
        simple.setPort(server.port());
        chosen = simple;
      }
      chosen.setTimeout(TIMEOUT);
      return new DnsResolver(chosen);
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

  /** {@link KeyRecordSource}: the same TXT lookup, with its failure type. */
  @Override
  public List<String> keyRecords(String name) throws LookupFailure {
    try {
      return txt(name);
    } catch (DnsFailure e) {
      throw new LookupFailure(e.getMessage());
    }
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
  public List<InetAddress> addresses(String name) throws DnsFailure {
    List<InetAddress> addresses = new ArrayList<>();
    for (Record record : query(name, Type.A)) {
      addresses.add(((ARecord) record).getAddress());
    }
    for (Record record : query(name, Type.AAAA)) {
      addresses.add(((AAAARecord) record).getAddress());
    }
    return addresses;
  }

  @Override
  public List<String> cname(String name) throws DnsFailure {
    List<String> targets = new ArrayList<>();
    for (Record record : query(name, Type.CNAME)) {
      targets.add(withoutDot(((CNAMERecord) record).getTarget()));
    }
    return targets;
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
    Lookup lookup;
    try {
      lookup = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), type);
    } catch (TextParseException e) {
      throw new DnsFailure("'" + name + "' is not a DNS name");
    }
    lookup.setResolver(resolver);
    lookup.setCache(new Cache()); // fresh answers: a record just published must be seen
    Record[] records = lookup.run();
    return switch (lookup.getResult()) {
      case Lookup.SUCCESSFUL -> {
        List<Record> ofType = new ArrayList<>();
        for (Record record : records) {
          if (record.getType() == type) {
            ofType.add(record); // an answer may start with the CNAME chain
          }
        }
        yield ofType;
      }
      case Lookup.HOST_NOT_FOUND, Lookup.TYPE_NOT_FOUND -> List.of();
      default ->
          throw new DnsFailure(name + " " + Type.string(type) + ": " + lookup.getErrorString());
    };
  }

  private static String withoutDot(Name name) {
    String text = name.toString();
    return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
  }
}
