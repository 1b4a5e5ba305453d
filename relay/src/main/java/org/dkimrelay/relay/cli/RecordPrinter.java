package org.dkimrelay.relay.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.TxtRecord;

/** Prints a key's TXT record the three ways admins need it: zone file, web panel, JSON. */
final class RecordPrinter {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private RecordPrinter() {}

  static void print(PrintWriter out, DkimKey key, TxtRecord record) {
    String domain = key.domain().name();
    out.println("Publish this TXT record in the DNS zone of " + domain + ".");
    out.println();
    out.println("Zone file (BIND, NSD, Knot, PowerDNS); strings of at most 255 bytes:");
    out.println(record.zoneLine());
    out.println();
    out.println("Web DNS panel:");
    out.println("  Name:  " + key.selector() + "._domainkey   (full name " + record.name() + ")");
    out.println("  Type:  TXT");
    out.println("  TTL:   " + record.ttl());
    out.println("  Value: " + record.value());
  }

  static void printJson(PrintWriter out, DkimKey key, TxtRecord record, String keyFile) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("domain", key.domain().name());
    json.put("selector", key.selector().value());
    json.put("algorithm", key.algorithm().keyType());
    json.put("bits", key.bits());
    json.put("keyFile", keyFile);
    json.put("name", record.name());
    json.put("type", "TXT");
    json.put("ttl", record.ttl());
    json.put("value", record.value());
    json.put("strings", record.characterStrings());
    json.put("zone", record.zoneLine());
    out.println(toJson(json));
  }

  static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON", e);
    }
  }
}
