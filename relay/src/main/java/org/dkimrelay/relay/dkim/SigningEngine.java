package org.dkimrelay.relay.dkim;

import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.dkimrelay.keys.SigningDomain;

/**
 * Decides and signs one message: the signing table picks the keys, the policies say what happens to
 * mail that has no key or cannot be signed, the signer makes the fields. Pure: the caller spools
 * the message and feeds the body to {@link #newBodyHasher()} on the way.
 */
public final class SigningEngine {
  private final SigningTable table;
  private final DkimSigner signer;
  private final boolean rejectUnknownDomain;
  private final boolean rejectMalformed;
  private final SenderBinding senders;
  private final boolean rejectMismatch;

  /** An engine whose logins are bound to their own domains, a mismatch refused. */
  public SigningEngine(
      SigningTable table, DkimSigner signer, boolean rejectUnknownDomain, boolean rejectMalformed) {
    this(
        table,
        signer,
        rejectUnknownDomain,
        rejectMalformed,
        SenderBinding.ownDomains(table.subdomains()),
        true);
  }

  /**
   * @param senders what each login may have signed
   * @param rejectMismatch a login's mail for an author it may not sign for: refused (5.7.1), else
   *     passed unsigned; never signed
   */
  public SigningEngine(
      SigningTable table,
      DkimSigner signer,
      boolean rejectUnknownDomain,
      boolean rejectMalformed,
      SenderBinding senders,
      boolean rejectMismatch) {
    this.table = table;
    this.signer = signer;
    this.rejectUnknownDomain = rejectUnknownDomain;
    this.rejectMalformed = rejectMalformed;
    this.senders = senders;
    this.rejectMismatch = rejectMismatch;
  }

  /** What to do with the message. */
  public sealed interface Outcome {
    /**
     * Send these fields before the message; {@code binding} says which sender binding allowed it
     * (empty without a login).
     */
    record Signed(
        SigningDecision.Sign decision,
        List<DkimSigner.SignatureField> fields,
        Optional<String> binding)
        implements Outcome {
      public Signed {
        fields = List.copyOf(fields);
      }
    }

    /** Send the message as it is; policy allows it, for {@code reason}. */
    record Unsigned(Why why, String reason) implements Outcome {}

    /** Refuse the message for good (5xx): policy says so. */
    record Refused(Why why, String reason) implements Outcome {}

    /** Signing was due but could not be done: refuse for now (4xx), never send it unsigned. */
    record Failed(String reason) implements Outcome {}

    /** Why a message was refused. */
    enum Why {
      MALFORMED,
      UNKNOWN_DOMAIN,
      /** The logged-in sender may not have mail of this author signed. */
      LOGIN_MISMATCH
    }
  }

  /** The same engine signing with only {@code usable} of its keys. */
  public SigningEngine withKeys(List<SigningKey> usable) {
    return new SigningEngine(
        table.withKeys(usable),
        signer,
        rejectUnknownDomain,
        rejectMalformed,
        senders,
        rejectMismatch);
  }

  public BodyHasher newBodyHasher() {

    return signer.newBodyHasher();
  }

  public DkimSigner signer() {
    return signer;
  }

  public SigningTable table() {
    return table;
  }

  /** The decision for a message and, when it is signed, the {@code h=} list it would get. */
  public record Explanation(
      SigningDecision decision,
      List<String> signedHeaders,
      Optional<SenderBinding.Decision> binding) {
    public Explanation {
      signedHeaders = List.copyOf(signedHeaders);
    }

    /** One line for the log: From domain, d=, keys and h=, or why it is not signed. */
    public String summary() {
      if (decision instanceof SigningDecision.Sign sign) {
        return "from="
            + sign.fromDomain()
            + sign.rule().map(rule -> " rule=" + rule).orElse("")
            + " d="
            + sign.signingDomains().stream()
                .map(SigningDomain::name)
                .collect(Collectors.joining(","))
            + " keys="
            + sign.keys()
            + " h="
            + String.join(":", signedHeaders)
            + binding
                .map(
                    b -> (b.allowed() ? " login allowed by " : " login NOT allowed by ") + b.rule())
                .orElse("");
      }
      if (decision instanceof SigningDecision.NoKey noKey) {
        return "from=" + noKey.fromDomain() + ": " + noKey.reason();
      }
      return "malformed: " + ((SigningDecision.Malformed) decision).reason();
    }
  }

  /**
   * Decides without signing, for {@code sign --explain} and the explain log; {@code login} is the
   * sender's SMTP AUTH login, if any.
   */
  public Explanation explain(byte[] headerBlock, Optional<String> login) {
    try {
      HeaderBlock headers = HeaderBlock.parse(headerBlock);
      SigningDecision decision = table.decide(headers);
      if (decision instanceof SigningDecision.Sign sign) {
        return new Explanation(
            decision, signer.policy().signedHeaderNames(headers), binding(sign, login));
      }
      return new Explanation(decision, List.of(), Optional.empty());
    } catch (MalformedMessageException e) {
      return new Explanation(
          new SigningDecision.Malformed(e.getMessage()), List.of(), Optional.empty());
    }
  }

  private Optional<SenderBinding.Decision> binding(
      SigningDecision.Sign sign, Optional<String> login) {
    return login.map(who -> senders.decide(who, sign.author(), sign.fromDomain()));
  }

  /**
   * Decides and signs a message whose header block is {@code headerBlock}, sent by {@code login}
   * (SMTP AUTH; empty for a client that did not log in).
   */
  public Outcome process(byte[] headerBlock, String bodyHash, Optional<String> login) {
    HeaderBlock headers;
    try {
      headers = HeaderBlock.parse(headerBlock);
    } catch (MalformedMessageException e) {
      return malformed(e.getMessage());
    }
    SigningDecision decision = table.decide(headers);
    if (decision instanceof SigningDecision.Malformed malformed) {
      return malformed(malformed.reason());
    }
    if (decision instanceof SigningDecision.NoKey noKey) {
      String reason = noKey.reason();
      return rejectUnknownDomain
          ? new Outcome.Refused(Outcome.Why.UNKNOWN_DOMAIN, reason)
          : new Outcome.Unsigned(Outcome.Why.UNKNOWN_DOMAIN, reason);
    }
    SigningDecision.Sign sign = (SigningDecision.Sign) decision;
    Optional<SenderBinding.Decision> binding = binding(sign, login);
    if (binding.isPresent() && !binding.get().allowed()) {
      String reason =
          "login "
              + SenderBinding.printable(login.get())
              + " may not sign for "
              + sign.fromDomain()
              + " ("
              + binding.get().rule()
              + ")";
      return rejectMismatch
          ? new Outcome.Refused(Outcome.Why.LOGIN_MISMATCH, reason)
          : new Outcome.Unsigned(Outcome.Why.LOGIN_MISMATCH, reason);
    }
    try {
      return new Outcome.Signed(
          sign,
          signer.sign(headers, bodyHash, sign.keys(), sign.identities()),
          binding.map(SenderBinding.Decision::rule));
    } catch (GeneralSecurityException | RuntimeException e) {
      return new Outcome.Failed("signing with " + sign.keys() + " failed: " + e);
    }
  }

  private Outcome malformed(String reason) {
    return rejectMalformed
        ? new Outcome.Refused(Outcome.Why.MALFORMED, reason)
        : new Outcome.Unsigned(Outcome.Why.MALFORMED, "malformed, passed by policy: " + reason);
  }
}
