package org.dkimrelay.relay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * example.com's DKIM records for rotation tests: dnsmasq on 127.0.0.1 and one port for the whole
 * test, restarted with one more record to "publish" a key, as an admin's DNS edit would.
 */
public final class KeyZone implements AutoCloseable {
  private final Path dir;
  private final int port = Dnsmasq.freeUdpPort();
  private final Map<String, List<String>> strings = new TreeMap<>();
  private final Map<String, String> values = new TreeMap<>();
  private Dnsmasq dns;

  public KeyZone(Path dir) {
    this.dir = dir;
  }

  /** Publishes {@code selector}'s record, given as {@code keys show --json} prints it. */
  public void publish(String selector, JsonNode record) {
    List<String> parts = new ArrayList<>();
    record.get("strings").forEach(s -> parts.add(s.asText()));
    publish(selector, parts);
  }

  /** Publishes {@code selector}'s record, given as its value (split into 255-octet strings). */
  public void publish(String selector, String value) {
    List<String> parts = new ArrayList<>();
    for (int at = 0; at < value.length(); at += 255) {
      parts.add(value.substring(at, Math.min(value.length(), at + 255)));
    }
    publish(selector, parts);
  }

  private void publish(String selector, List<String> parts) {
    String name = selector + "._domainkey.example.com";
    strings.put(name, parts);
    values.put(name, String.join("", parts));
    if (dns != null) {
      dns.close();
    }
    List<String> lines = new ArrayList<>(List.of("local=/example.com/"));
    strings.forEach((n, s) -> lines.add(Dnsmasq.txtRecord(n, s)));
    dns = Dnsmasq.start(lines, dir.resolve("dns-" + strings.size()), port);
  }

  public int port() {
    return port;
  }

  /** What DNS holds now, name → value, for the outside verifiers. */
  public Map<String, String> values() {
    return values;
  }

  @Override
  public void close() {
    if (dns != null) {
      dns.close();
    }
  }
}
