package org.dkimrelay.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class PemKeysTest {
  // RFC 8463 Appendix A.2: the example Ed25519 private key (seed) and its DNS public key.
  static final String RFC8463_SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
  static final String RFC8463_PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

  private static final SigningDomain DOMAIN = SigningDomain.parse("example.com");
  private static final Selector SELECTOR = Selector.parse("s1");

  @Test
  void rfc8463SeedGivesTheRfcPublicKey() {
    DkimKey key = PemKeys.read(RFC8463_SEED, null).as(DOMAIN, SELECTOR);
    assertThat(key.algorithm()).isEqualTo(KeyAlgorithm.ED25519);
    assertThat(Base64.getEncoder().encodeToString(key.dnsPublicKey())).isEqualTo(RFC8463_PUBLIC);
    assertThat(key.record().value()).isEqualTo("v=DKIM1; k=ed25519; p=" + RFC8463_PUBLIC);
  }

  @Test
  void rspamdStyleSeedFollowedByPublicKeyIsAccepted() {
    byte[] both = new byte[64];
    System.arraycopy(Base64.getDecoder().decode(RFC8463_SEED), 0, both, 0, 32);
    System.arraycopy(Base64.getDecoder().decode(RFC8463_PUBLIC), 0, both, 32, 32);
    DkimKey key =
        PemKeys.read(Base64.getEncoder().encodeToString(both) + "\n", null).as(DOMAIN, SELECTOR);
    assertThat(Base64.getEncoder().encodeToString(key.dnsPublicKey())).isEqualTo(RFC8463_PUBLIC);
  }

  @Test
  void sixtyFourByteKeyWhosePublicHalfDoesNotMatchIsRefused() {
    byte[] both = new byte[64];
    System.arraycopy(Base64.getDecoder().decode(RFC8463_SEED), 0, both, 0, 32);
    assertThatThrownBy(() -> PemKeys.read(Base64.getEncoder().encodeToString(both), null))
        .isInstanceOf(KeyToolException.class)
        .hasMessageContaining("not the public key");
  }

  @Test
  void ed25519Pkcs8RoundTripKeepsTheSeed() {
    DkimKey key = generate(KeyAlgorithm.ED25519);
    String pem = PemKeys.toPkcs8Pem(key.privateKey());
    assertThat(pem)
        .startsWith("-----BEGIN PRIVATE KEY-----\n")
        .endsWith("-----END PRIVATE KEY-----\n");
    DkimKey read = PemKeys.read(pem, null).as(DOMAIN, SELECTOR);
    assertThat(PemKeys.ed25519Seed(read.privateKey()))
        .isEqualTo(PemKeys.ed25519Seed(key.privateKey()));
    assertThat(read.record()).isEqualTo(key.record());
  }

  @Test
  void rsaPkcs8RoundTripKeepsBothHalves() {
    DkimKey key = generate(KeyAlgorithm.RSA);
    String pem = PemKeys.toPkcs8Pem(key.privateKey());
    assertThat(pem.lines().filter(line -> !line.startsWith("-----")))
        .allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(64));
    DkimKey read = PemKeys.read(pem, null).as(DOMAIN, SELECTOR);
    assertThat(read.privateKey().getEncoded()).isEqualTo(key.privateKey().getEncoded());
    assertThat(read.publicKey().getEncoded()).isEqualTo(key.publicKey().getEncoded());
    assertThat(read.bits()).isEqualTo(2048);
  }

  @Test
  void rsaRecordHoldsTheSubjectPublicKeyInfo() {
    DkimKey key = generate(KeyAlgorithm.RSA);
    assertThat(key.dnsPublicKey()).isEqualTo(key.publicKey().getEncoded());
    assertThat(key.record().value())
        .startsWith("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A");
  }

  @Test
  void garbageIsRefusedWithAReason() {
    assertThatThrownBy(() -> PemKeys.read("hello world", null))
        .isInstanceOf(KeyToolException.class)
        .hasMessageStartingWith("not a key");
    assertThatThrownBy(
            () ->
                PemKeys.read(
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", null))
        .isInstanceOf(KeyToolException.class);
    assertThatThrownBy(() -> PemKeys.read("", null)).isInstanceOf(KeyToolException.class);
  }

  @Test
  void aPublicKeyIsNotAcceptedAsAPrivateKey() {
    DkimKey key = generate(KeyAlgorithm.RSA);
    String publicPem =
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(key.publicKey().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
    assertThatThrownBy(() -> PemKeys.read(publicPem, null))
        .isInstanceOf(KeyToolException.class)
        .hasMessageContaining("not a private key");
  }

  static DkimKey generate(KeyAlgorithm algorithm) {
    return new DkimKeyGenerator(new SecureRandom()).generate(DOMAIN, SELECTOR, algorithm, 2048);
  }
}
