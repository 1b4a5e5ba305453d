package org.dkimrelay.relay.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchProviderException;
import java.security.Signature;
import java.util.Base64;
import java.util.List;
import org.dkimrelay.keys.DkimKey;
import org.dkimrelay.keys.PemKeys;
import org.dkimrelay.keys.Selector;
import org.dkimrelay.keys.SigningDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both providers give the same bytes: RSA PKCS#1 v1.5 and Ed25519 are deterministic, so each must
 * reproduce a signature made elsewhere (OpenSSL for RSA, RFC 8463 for Ed25519).
 */
class SignaturesTest {
  static final String DATA =
      "from:Joe SixPack <joe@football.example.com>\r\n"
          + "subject:Is dinner ready?\r\n"
          + "dkim-signature:v=1; a=rsa-sha256; b=";

  // openssl dgst -sha256 -sign golden-rsa-2048.pem (OpenSSL 3.0, Debian 12) over DATA
  private static final String RSA_GOLDEN =
      "pqO+3ij04Gf8iTjFqFMlpHOt9CLFmIlVGdtVFMCvT4nxnujV17t4h1O66kWKW/FiN0hMHZbT9JveIHbCW1ISPblglkgCi3WUW"
          + "//dgwMdhUBE0eW7GZMvFp2jBGJOFHTYCiXcWgfodCCdrtUNHWbeUlOFgX3P34/oQUOP+z1WloMeW5uW2lCME4NpEJ87jbfb"
          + "FzKbnm/Rko344ve2FbjY5x2f+zJRcyYluT36NTgrbctLb2q4E5LLKdT7wYsaeYYnr8PL7mNwZSmlS288YjyLGHAtYuq6qf9p"
          + "YaM5fkbkMSVpflq9C2POIEQL0TH/F6erqhQbwI6Sfd3pkPm9yqI9kQ==";

  /** Every provider that can sign here: the JDK always, ACCP on Linux x86_64. */
  static List<Signatures> providers() throws NoSuchProviderException {
    return accpLoadsHere()
        ? List.of(Signatures.accp(), Signatures.jdk())
        : List.of(Signatures.jdk());
  }

  static boolean accpLoadsHere() {
    String arch = System.getProperty("os.arch");
    return System.getProperty("os.name").equals("Linux")
        && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  static DkimKey goldenRsaKey() throws Exception {
    try (InputStream in = SignaturesTest.class.getResourceAsStream("golden-rsa-2048.pem")) {
      return PemKeys.read(new String(in.readAllBytes(), StandardCharsets.US_ASCII), null)
          .as(SigningDomain.parse("football.example.com"), Selector.parse("rsa"));
    }
  }

  @ParameterizedTest
  @MethodSource("providers")
  void rsaSignsTheBytesOpenSslSigns(Signatures signatures) throws Exception {
    SigningKey key = new SigningKey(goldenRsaKey(), signatures);
    assertThat(Base64.getEncoder().encodeToString(key.sign(DATA.getBytes(StandardCharsets.UTF_8))))
        .isEqualTo(RSA_GOLDEN);
  }

  @ParameterizedTest
  @MethodSource("providers")
  void ed25519SignsAndVerifiesTheRfc8463Example(Signatures signatures) throws Exception {
    SigningKey key = TestKeys.rfc8463("football.example.com", "brisbane", signatures);
    byte[] data = "the canonicalised header data".getBytes(StandardCharsets.US_ASCII);
    byte[] signed = key.sign(data);
    for (Signatures verifying : providers()) {
      Signature verifier = verifying.forAlgorithm(key.key().algorithm());
      verifier.initVerify(key.key().publicKey());
      verifier.update(data);
      assertThat(verifier.verify(signed)).as("verified by " + verifying).isTrue();
    }
    assertThat(signed)
        .isEqualTo(
            TestKeys.rfc8463("football.example.com", "brisbane", Signatures.jdk()).sign(data));
  }

  @Test
  void accpLoadsOnLinuxX8664AndAutoChoosesIt() throws Exception {
    if (accpLoadsHere()) {
      assertThat(Signatures.accp().label()).isEqualTo("accp");
      assertThat(Signatures.accp().description())
          .startsWith("AWS-LC (Amazon Corretto Crypto Provider 2.5.0");
      assertThat(Signatures.selected()).isSameAs(Signatures.accp());
    } else {
      assertThatThrownBy(Signatures::accp)
          .hasMessageContaining("the Amazon Corretto Crypto Provider cannot load here");
      assertThat(Signatures.selected()).isSameAs(Signatures.jdk());
    }
  }

  @Test
  void anUnknownChoiceIsNamedWithTheValuesThatExist() {
    assertThatThrownBy(() -> Signatures.choose("openssl"))
        .isInstanceOf(NoSuchProviderException.class)
        .hasMessage("-Ddkimrelay.crypto-provider=openssl is not one of auto, accp, jdk");
  }

  @Test
  void aKeyWhosePublicHalfIsAnotherKeysDoesNotLoad() throws Exception {
    DkimKey golden = goldenRsaKey();
    DkimKey other = TestKeys.fresh("football.example.com", "other", golden.algorithm()).key();
    DkimKey mismatched =
        new DkimKey(
            golden.domain(),
            golden.selector(),
            golden.algorithm(),
            golden.privateKey(),
            other.publicKey());
    for (Signatures signatures : providers()) {
      assertThatThrownBy(() -> new SigningKey(mismatched, signatures))
          .hasMessage("its signature does not verify with its public key");
    }
  }
}
