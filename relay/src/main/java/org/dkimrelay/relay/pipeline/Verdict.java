package org.dkimrelay.relay.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.reply.SmtpReply;

/**
 * What the pipeline decided for one message: a value the front-end acts on (fields to add, or the
 * reply to give) and then hands back to {@link MessagePipeline.Message#end}, which logs and counts
 * it.
 */
public sealed interface Verdict {

  /** One line for the transaction log: the From domain and the d=/s=/a= of each signature. */
  String description();

  /** Deliver the message with {@link #fields} on top (none: unsigned, as policy allows). */
  final class Send implements Verdict {
    private final List<SignatureField> fields;
    private final String description;
    private final Optional<String> unsigned; // why not signed, when not
    final String unsignedCounter; // the metric's reason label, when not signed

    Send(
        List<SignatureField> fields,
        String description,
        Optional<String> unsigned,
        String unsignedCounter) {
      this.fields = List.copyOf(fields);
      this.description = description;
      this.unsigned = unsigned;
      this.unsignedCounter = unsignedCounter;
    }

    public List<SignatureField> fields() {
      return fields;
    }

    @Override
    public String description() {
      return description;
    }

    /** Why the message goes unsigned, as policy allows; empty when it is signed. */
    public Optional<String> unsignedReason() {
      return unsigned;
    }

    /** Writes the new fields, in the order they go on top of the message. */
    public void writeFields(OutputStream out) throws IOException {
      for (SignatureField field : fields) {
        out.write(field.bytes());
      }
    }
  }

  /**
   * Refuse the message with {@link #reply}: 5xx by policy or a limit, 4xx when signing was due and
   * failed or a resource (memory, storage) is short, so that the MTA retries.
   */
  final class Refuse implements Verdict {
    private final SmtpReply reply;
    private final String reason;
    private final boolean signingFailed;
    final String counter; // the metric's reason label

    Refuse(SmtpReply reply, String reason, boolean signingFailed, String counter) {
      this.reply = reply;
      this.reason = reason;
      this.signingFailed = signingFailed;
      this.counter = counter;
    }

    public SmtpReply reply() {
      return reply;
    }

    /** Why, in words, without the reply's codes. */
    public String reason() {
      return reason;
    }

    /** Signing was due and failed: worth an error in the log, not only a line. */
    public boolean signingFailed() {
      return signingFailed;
    }

    @Override
    public String description() {
      String word = signingFailed ? "failed" : reply.permanentFailure() ? "refused" : "deferred";
      return word + "=\"" + reason + "\"";
    }
  }
}
