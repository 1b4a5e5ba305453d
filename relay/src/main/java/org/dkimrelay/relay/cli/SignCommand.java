package org.dkimrelay.relay.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.dkimrelay.keys.SigningDomain;
import org.dkimrelay.relay.config.RelayConfig;
import org.dkimrelay.relay.config.SigningConfig;
import org.dkimrelay.relay.dkim.SigningDecision;
import org.dkimrelay.relay.dkim.SigningEngine;
import org.dkimrelay.relay.dkim.SigningPolicy;
import org.dkimrelay.relay.metrics.RelayMetrics;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.service.ServiceException;
import org.dkimrelay.relay.service.SigningRuntime;
import org.dkimrelay.relay.spool.SpooledMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "sign",
    description = {
      "Sign the message on standard input with the keys of its From domain.",
      "The signed message goes to standard output (CRLF line endings)."
    },
    mixinStandardHelpOptions = true)
final class SignCommand implements Callable<Integer> {
  private final CliContext context;

  @Spec CommandSpec spec;

  @Option(
      names = "--explain",
      description = "Print what would be signed with which keys, and why, instead of the message.")
  boolean explain;

  @Option(
      names = "--login",
      paramLabel = "LOGIN",
      description =
          "Sign as mail of a client logged in (SMTP AUTH) as LOGIN: only what [senders] lets it sign.")
  String login;

  @Mixin ConfigOptions options;

  SignCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException {
    RelayConfig config = options.config(context);
    SigningEngine engine;
    try {
      engine = SigningRuntime.loadEngine(options.source(context), config, context.clock());
    } catch (ServiceException e) {
      throw new UserError(e.getMessage());
    }
    MessagePipeline.Message signing =
        new MessagePipeline(engine, new RelayMetrics(), false)
            .begin("sign", Optional.ofNullable(login));
    try (SpooledMessage message =
        MessageInput.read(context, signing.body(), config.signing().lineLengthLimit())) {
      if (explain) {
        explain(engine, config, message);
        return ExitCode.OK;
      }
      Verdict verdict = signing.finish(message.header());
      if (verdict instanceof Verdict.Refuse refuse) {
        throw new UserError("not signed: " + refuse.reason());
      }
      Verdict.Send send = (Verdict.Send) verdict;
      send.unsignedReason()
          .ifPresent(
              reason ->
                  spec.commandLine().getErr().println("dkimrelay: warning: not signed: " + reason));
      OutputStream out = new BufferedOutputStream(context.stdout(), 64 * 1024);
      send.writeFields(out);
      message.writeTo(out);
      out.flush();
      return ExitCode.OK;
    }
  }

  private void explain(SigningEngine engine, RelayConfig config, SpooledMessage message) {
    PrintWriter out = spec.commandLine().getOut();
    SigningEngine.Explanation explanation =
        engine.explain(message.header(), Optional.ofNullable(login));
    SigningConfig settings = config.signing();
    if (explanation.decision() instanceof SigningDecision.Malformed malformed) {
      out.println("Not signed: malformed: " + malformed.reason());
      out.println("Policy signing.on-malformed = " + settings.onMalformed().word());
    } else if (explanation.decision() instanceof SigningDecision.NoKey noKey) {
      out.println("From domain: " + noKey.fromDomain());
      out.println(
          "Not signed: "
              + (noKey.held() || !settings.rules().isEmpty()
                  ? noKey.reason()
                      + (settings.rules().isEmpty() ? "" : " (no signing.rule signs it)")
                  : "no key for "
                      + noKey.fromDomain()
                      + (settings.subdomains() ? " or a parent domain" : "")));
      out.println("Policy signing.unknown-domain = " + settings.unknownDomain().word());
    } else {
      SigningDecision.Sign sign = (SigningDecision.Sign) explanation.decision();
      SigningPolicy policy = engine.signer().policy();
      out.println("From domain: " + sign.fromDomain());
      if (sign.rule().isPresent()) {
        out.println(
            "Rule: from = "
                + sign.rule().get()
                + " (signing.rule-match = "
                + settings.ruleMatch().word()
                + ")");
        out.println(
            "Signing domain (d=): "
                + sign.signingDomains().stream()
                    .map(SigningDomain::name)
                    .collect(Collectors.joining(", ")));
      } else {
        boolean parent = !sign.signingDomain().equals(sign.fromDomain());
        out.println(
            "Signing domain (d=): "
                + sign.signingDomain()
                + (parent ? " (nearest parent with keys; signing.subdomains = true)" : ""));
      }
      out.println(
          "Keys: "
              + sign.keys().stream()
                  .map(
                      key ->
                          key
                              + (sign.identities().containsKey(key)
                                  ? " i=" + sign.identities().get(key)
                                  : ""))
                  .collect(Collectors.joining(", ")));
      out.println("Signed headers (h=): " + String.join(":", explanation.signedHeaders()));
      out.println(
          "Oversigned (listed once more than present): "
              + String.join(", ", policy.oversign().stream().sorted().toList()));
      out.println("Canonicalization (c=): " + policy.canonicalization().tagValue());
      explanation
          .binding()
          .ifPresent(
              binding ->
                  out.println(
                      "Login "
                          + login
                          + (binding.allowed()
                              ? ": may sign for it, by "
                              : ": may NOT sign for it (not signed, senders.on-mismatch = "
                                  + config.senders().onMismatch().word()
                                  + "), by ")
                          + binding.rule()));
    }
  }
}
