package org.dkimrelay.keys.dnscheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpfEvaluatorTest {
  /** DNS from a map: TXT, MX and address records by name. */
  private static final class FakeDns implements DnsQuery {
    final Map<String, List<String>> txt = new HashMap<>();
    final Map<String, List<Mx>> mx = new HashMap<>();
    final Map<String, List<InetAddress>> addresses = new HashMap<>();

    @Override
    public List<String> txt(String name) {
      return txt.getOrDefault(name, List.of());
    }

    @Override
    public List<Mx> mx(String name) {
      return mx.getOrDefault(name, List.of());
    }

    @Override
    public List<InetAddress> addresses(String name, Family family) {
      return addresses.getOrDefault(name, List.of()).stream()
          .filter(address -> Family.of(address) == family)
          .toList();
    }

    @Override
    public boolean isAlias(String name) {
      return false;
    }

    @Override
    public List<String> ptr(InetAddress address) {
      return List.of();
    }
  }

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  private static String evaluate(FakeDns dns, String ip) throws Exception {
    return new SpfEvaluator(dns).evaluate(ip(ip), "example.com").result();
  }

  @Test
  void qualifiersDecideTheResult() throws Exception {
    FakeDns dns = new FakeDns();
    dns.txt.put("example.com", List.of("v=spf1 ip4:192.0.2.0/24 ?ip4:198.51.100.1 ~all"));
    assertThat(evaluate(dns, "192.0.2.77")).isEqualTo("pass");
    assertThat(evaluate(dns, "198.51.100.1")).isEqualTo("neutral");
    assertThat(evaluate(dns, "203.0.113.9")).isEqualTo("softfail");
  }

  @Test
  void ipv6NetworksAAndMxMatch() throws Exception {
    FakeDns dns = new FakeDns();
    dns.txt.put("example.com", List.of("v=spf1 ip6:2001:db8::/32 a mx -all"));
    dns.addresses.put("example.com", List.of(ip("192.0.2.1")));
    dns.mx.put("example.com", List.of(new DnsQuery.Mx(10, "mail.example.com")));
    dns.addresses.put("mail.example.com", List.of(ip("192.0.2.25")));
    assertThat(evaluate(dns, "2001:db8:1::5")).isEqualTo("pass");
    assertThat(evaluate(dns, "192.0.2.1")).isEqualTo("pass");
    assertThat(evaluate(dns, "192.0.2.25")).isEqualTo("pass");
    assertThat(evaluate(dns, "2001:db9::1")).isEqualTo("fail");
  }

  @Test
  void redirectAndIncludeFollowOtherDomains() throws Exception {
    FakeDns dns = new FakeDns();
    dns.txt.put(
        "example.com", List.of("v=spf1 include:_spf.provider.example redirect=_spf.example.com"));
    dns.txt.put("_spf.provider.example", List.of("v=spf1 ip4:198.51.100.0/24 -all"));
    dns.txt.put("_spf.example.com", List.of("v=spf1 ip4:192.0.2.10 -all"));
    assertThat(evaluate(dns, "198.51.100.7")).isEqualTo("pass");
    assertThat(evaluate(dns, "192.0.2.10")).isEqualTo("pass");
    assertThat(evaluate(dns, "203.0.113.1")).isEqualTo("fail");
  }

  @Test
  void brokenRecordsArePermanentErrors() throws Exception {
    FakeDns two = new FakeDns();
    two.txt.put("example.com", List.of("v=spf1 -all", "v=spf1 +all"));
    assertThat(evaluate(two, "192.0.2.1")).isEqualTo("permerror");

    FakeDns missingInclude = new FakeDns();
    missingInclude.txt.put("example.com", List.of("v=spf1 include:nothing.example -all"));
    assertThat(evaluate(missingInclude, "192.0.2.1")).isEqualTo("permerror");

    FakeDns none = new FakeDns();
    assertThat(evaluate(none, "192.0.2.1")).isEqualTo("none");
  }

  @Test
  void theTenLookupLimitCountsIncludesAAndMx() throws Exception {
    FakeDns dns = new FakeDns();
    dns.txt.put("example.com", List.of("v=spf1 " + "a ".repeat(11) + "-all"));
    SpfEvaluator.Result result = new SpfEvaluator(dns).evaluate(ip("192.0.2.1"), "example.com");
    assertThat(result.result()).isEqualTo("permerror");
    assertThat(result.detail()).contains("more than 10 DNS lookups");
  }
}
