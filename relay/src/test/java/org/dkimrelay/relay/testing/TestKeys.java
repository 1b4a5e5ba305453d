package org.dkimrelay.relay.testing;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import org.dkimrelay.keys.DkimKeyGenerator;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.dkim.DkimSigner;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningKey;
import org.dkimrelay.relay.dkim.SigningTable;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;

/** Keys made in the test's own process, and the pipeline that signs with them by default. */
public final class TestKeys {
  private TestKeys() {}

  /** A fresh Ed25519 key for {@code domain} with {@code selector}. */
  public static SigningKey ed25519(String domain, String selector) {
    try {
      return new SigningKey(
          new DkimKeyGenerator(new SecureRandom())
              .generate(
                  SigningDomain.parse(domain), Selector.parse(selector), KeyAlgorithm.ED25519, 0));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The pipeline with the default policy, signing with {@code keys} (subdomains too), unknown
   * domains passed unsigned, malformed mail refused.
   */
  public static MessagePipeline pipeline(Clock clock, SigningKey... keys) {
    return new MessagePipeline(
        new SigningEngine(
            new SigningTable(List.of(keys), true),
            new DkimSigner(DefaultPolicy.signing(), clock),
            false,
            true),
        new RelayMetrics(),
        false);
  }
}
