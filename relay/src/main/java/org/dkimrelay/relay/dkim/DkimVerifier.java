package org.dkimrelay.relay.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dkimrelay.keys.KeyAlgorithm;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.PemKeys;
import org.dkimrelay.keys.PublishedKeyRecord;
import org.dkimrelay.keys.TagList;
import org.dkimrelay.keys.dnscheck.DnsQuery.DnsFailure;

/**
 * Verifies every DKIM-Signature of a message (RFC 6376 §6), rsa-sha256 and ed25519-sha256. The body
 * is read once, whatever the number of signatures; key records come from a {@link KeyRecordSource}.
 */
public final class DkimVerifier {

  private final KeyRecordSource keyRecords;
  private final Clock clock;

  public DkimVerifier(KeyRecordSource keyRecords, Clock clock) {
    this.keyRecords = keyRecords;
    this.clock = clock;
  }

  /** The outcome for one signature. */
  public enum Status {
    PASS,
    FAIL,
    TEMPERROR
  }

  public record Result(
      Status status, String domain, String selector, String algorithm, String reason) {
    /** {@code pass d=example.com s=s1 a=rsa-sha256}, then the reason when it did not pass. */
    public String line() {
      String text =
          status.name().toLowerCase(Locale.ROOT)
              + " d="
              + domain
              + " s="
              + selector
              + " a="
              + algorithm;
      return reason.isEmpty() ? text : text + " " + reason;
    }
  }

  /**
   * Verifies each DKIM-Signature of {@code headers}, top to bottom; {@code body} is read to its
   * end.
   */
  public List<Result> verify(HeaderBlock headers, InputStream body) throws IOException {
    List<HeaderField> fields = headers.all("DKIM-Signature");
    List<ParsedSignature> parsed = new ArrayList<>();
    for (HeaderField field : fields) {
      parsed.add(ParsedSignature.of(field, clock));
    }
    Map<Canonicalization, String> bodyHashes = hashBody(parsed, body);
    List<Result> results = new ArrayList<>();
    for (ParsedSignature signature : parsed) {
      results.add(check(signature, headers, bodyHashes));
    }
    return results;
  }

  private Result check(
      ParsedSignature sig, HeaderBlock headers, Map<Canonicalization, String> bodyHashes) {
    if (sig.problem() != null) {
      return sig.result(Status.FAIL, sig.problem());
    }
    String bodyHash = bodyHashes.get(sig.canonicalization().body());
    if (!bodyHash.equals(sig.bodyHash())) {
      return sig.result(Status.FAIL, "body hash did not verify (body changed)");
    }
    PublicKey key;
    try {
      key = publicKey(sig);
    } catch (DnsFailure e) {
      return sig.result(Status.TEMPERROR, "key lookup failed: " + e.getMessage());
    } catch (KeyToolException e) {
      return sig.result(Status.FAIL, "key record: " + e.getMessage());
    }
    try {
      byte[] data =
          HeaderCanonicalizer.withSignatureField(
              HeaderCanonicalizer.signedHeaders(
                  headers, sig.signedNames(), sig.canonicalization().header()),
              sig.fieldWithoutSignature(),
              sig.canonicalization().header());
      Signature verifier = Signatures.selected().forAlgorithm(sig.algorithm());
      verifier.initVerify(key);
      verifier.update(data);
      return verifier.verify(sig.signature())
          ? sig.result(Status.PASS, "")
          : sig.result(Status.FAIL, "signature did not verify (headers changed or wrong key)");
    } catch (GeneralSecurityException e) {
      return sig.result(Status.FAIL, "signature did not verify: " + e.getMessage());
    }
  }

  private PublicKey publicKey(ParsedSignature sig) throws DnsFailure {
    String name = sig.selector() + "._domainkey." + sig.domain();
    List<String> records = keyRecords.keyRecords(name);
    if (records.isEmpty()) {
      throw new KeyToolException("no key record at " + name);
    }
    PublishedKeyRecord record = PublishedKeyRecord.parse(records.get(0));
    if (record.algorithm() != sig.algorithm()) {
      throw new KeyToolException(
          "k=" + record.algorithm().keyType() + " does not match a=" + sig.algorithmTag());
    }
    byte[] p =
        record
            .publicKey()
            .orElseThrow(() -> new KeyToolException("the key is revoked (p= is empty)"));
    try {
      if (sig.algorithm() == KeyAlgorithm.RSA) {
        PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(p));
        if (((RSAPublicKey) key).getModulus().bitLength() < 1024) {
          throw new KeyToolException("RSA key under 1024 bits (RFC 8301)");
        }
        return key;
      }
      if (p.length != 32) {
        throw new KeyToolException("an Ed25519 p= is 32 bytes, this one is " + p.length);
      }
      return KeyFactory.getInstance("Ed25519")
          .generatePublic(new X509EncodedKeySpec(PemKeys.ed25519Spki(p)));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new KeyToolException("p= is not a valid " + sig.algorithm().keyType() + " public key");
    }
  }

  private static Map<Canonicalization, String> hashBody(
      List<ParsedSignature> signatures, InputStream body) throws IOException {
    Map<Canonicalization, BodyHasher> hashers = new EnumMap<>(Canonicalization.class);
    for (ParsedSignature signature : signatures) {
      if (signature.problem() == null) {
        hashers.computeIfAbsent(signature.canonicalization().body(), BodyHasher::new);
      }
    }
    byte[] buffer = new byte[64 * 1024];
    for (int read = body.read(buffer); read >= 0; read = body.read(buffer)) {
      for (BodyHasher hasher : hashers.values()) {
        hasher.write(buffer, 0, read);
      }
    }
    Map<Canonicalization, String> hashes = new EnumMap<>(Canonicalization.class);
    hashers.forEach((canonicalization, hasher) -> hashes.put(canonicalization, hasher.finish()));
    return hashes;
  }

  /** One DKIM-Signature's tags, checked; {@code problem} says why it cannot pass, if so. */
  private record ParsedSignature(
      HeaderField field,
      Map<String, String> tags,
      KeyAlgorithm algorithm,
      Canonicalization.Pair canonicalization,
      List<String> signedNames,
      String problem) {

    static ParsedSignature of(HeaderField field, Clock clock) {
      Map<String, String> tags;
      try {
        tags = TagList.parse(field.unfoldedValue());
      } catch (KeyToolException e) {
        return broken(field, Map.of(), "malformed tag list: " + e.getMessage());
      }
      for (String required : List.of("v", "a", "b", "bh", "d", "h", "s")) {
        if (!tags.containsKey(required)) {
          return broken(field, tags, "missing " + required + "= tag");
        }
      }
      if (!tags.get("v").equals("1")) {
        return broken(field, tags, "v=" + tags.get("v") + " is not 1");
      }
      KeyAlgorithm algorithm =
          switch (tags.get("a").toLowerCase(Locale.ROOT)) {
            case "rsa-sha256" -> KeyAlgorithm.RSA;
            case "ed25519-sha256" -> KeyAlgorithm.ED25519;
            default -> null;
          };
      if (algorithm == null) {
        return broken(
            field,
            tags,
            "a=" + tags.get("a") + " is not accepted (rsa-sha1 is obsolete, RFC 8301)");
      }
      Canonicalization.Pair canonicalization;
      try {
        canonicalization = Canonicalization.Pair.parse(tags.getOrDefault("c", "simple/simple"));
      } catch (IllegalArgumentException e) {
        return broken(field, tags, e.getMessage());
      }
      List<String> names = Arrays.stream(tags.get("h").split(":")).map(String::strip).toList();
      if (names.stream().noneMatch("from"::equalsIgnoreCase)) {
        return broken(field, tags, "h= does not include From");
      }
      if (tags.containsKey("l")) {
        return broken(
            field, tags, "l= (body length limit) is not accepted: it lets content be appended");
      }
      if (tags.containsKey("x")) {
        try {
          if (Long.parseLong(tags.get("x")) < clock.instant().getEpochSecond()) {
            return broken(field, tags, "signature expired (x=" + tags.get("x") + ")");
          }
        } catch (NumberFormatException e) {
          return broken(field, tags, "x= is not a number");
        }
      }
      return new ParsedSignature(field, tags, algorithm, canonicalization, names, null);
    }

    private static ParsedSignature broken(
        HeaderField field, Map<String, String> tags, String problem) {
      return new ParsedSignature(field, tags, null, null, List.of(), problem);
    }

    String domain() {
      return tags.getOrDefault("d", "?");
    }

    String selector() {
      return tags.getOrDefault("s", "?");
    }

    String algorithmTag() {
      return tags.getOrDefault("a", "?");
    }

    String bodyHash() {
      return tags.get("bh").replaceAll("\\s", "");
    }

    byte[] signature() {
      return Base64.getDecoder().decode(tags.get("b").replaceAll("\\s", ""));
    }

    Result result(Status status, String reason) {
      return new Result(status, domain(), selector(), algorithmTag(), reason);
    }

    /** The field with the value of its b= tag removed (§3.7), folding elsewhere kept. */
    HeaderField fieldWithoutSignature() {
      byte[] raw = field.raw();
      int tagStart = field.colonIndex() + 1;
      while (tagStart < raw.length) {
        int tagEnd = tagStart;
        while (tagEnd < raw.length && raw[tagEnd] != ';') {
          tagEnd++;
        }
        int equals = tagStart;
        while (equals < tagEnd && raw[equals] != '=') {
          equals++;
        }
        String name =
            new String(raw, tagStart, equals - tagStart, StandardCharsets.ISO_8859_1).strip();
        if (name.equals("b") && equals < tagEnd) {
          byte[] stripped = new byte[raw.length - (tagEnd - equals - 1)];
          System.arraycopy(raw, 0, stripped, 0, equals + 1);
          System.arraycopy(raw, tagEnd, stripped, equals + 1, raw.length - tagEnd);
          return HeaderField.parse(stripped);
        }
        tagStart = tagEnd + 1;
      }
      return field;
    }
  }
}
