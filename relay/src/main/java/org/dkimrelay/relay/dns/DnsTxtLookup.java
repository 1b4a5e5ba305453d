package org.dkimrelay.relay.dns;

import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.dkimrelay.relay.config.HostPort;
import org.dkimrelay.relay.dkim.KeyRecordSource;
import org.xbill.DNS.Cache;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * TXT lookups through dnsjava, against the system resolver or a given server. "No such record" and
 * "could not ask" are kept apart: a timeout or SERVFAIL is a temporary failure, never a missing
 * key.
 */
public final class DnsTxtLookup implements KeyRecordSource {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final Resolver resolver;

  private DnsTxtLookup(Resolver resolver) {
    this.resolver = resolver;
  }

  /** {@code system}, or {@code HOST[:PORT]} of a DNS server. */
  public static DnsTxtLookup using(String resolver) {
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
      return new DnsTxtLookup(chosen);
    } catch (UnknownHostException | IllegalArgumentException e) {
      throw new IllegalArgumentException("resolver '" + resolver + "': " + e.getMessage());
    }
  }

  @Override
  public List<String> txt(String name) throws LookupFailure {
    Lookup lookup;
    try {
      lookup = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), Type.TXT);
    } catch (TextParseException e) {
      throw new LookupFailure("'" + name + "' is not a DNS name");
    }
    lookup.setResolver(resolver);
    lookup.setCache(new Cache()); // fresh answers: a record just published must be seen
    Record[] records = lookup.run();
    switch (lookup.getResult()) {
      case Lookup.SUCCESSFUL:
        List<String> values = new ArrayList<>();
        for (Record record : records) {
          // getStrings() gives the zone-file text form (quoted); the raw bytes are the value
          StringBuilder value = new StringBuilder();
          for (byte[] string : ((TXTRecord) record).getStringsAsByteArrays()) {
            value.append(new String(string, StandardCharsets.UTF_8));
          }
          values.add(value.toString());
        }

        return values;
      case Lookup.HOST_NOT_FOUND:
      case Lookup.TYPE_NOT_FOUND:
        return List.of();
      default:
        throw new LookupFailure(name + ": " + lookup.getErrorString());
    }
  }
}
