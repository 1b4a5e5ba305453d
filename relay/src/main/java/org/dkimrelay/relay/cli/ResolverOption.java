package org.dkimrelay.relay.cli;

import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.dns.DnsResolver;
import picocli.CommandLine.Option;

/** {@code --resolver HOST[:PORT]}, for the commands that ask DNS. */
final class ResolverOption {
  @Option(
      names = "--resolver",
      paramLabel = "HOST[:PORT]",
      description = "DNS server to ask (default: the config's dns.resolver, system).")
  String resolver;

  /** {@code --resolver} if given, else the configuration's {@code dns.resolver}. */
  DnsResolver dns(RelayConfig config) {
    return using(resolver != null ? resolver : config.dns().resolver());
  }

  static DnsResolver using(String resolver) {
    try {
      return DnsResolver.using(resolver);
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }
}
