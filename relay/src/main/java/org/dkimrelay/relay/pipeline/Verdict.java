package org.dkimrelay.relay.pipeline;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.dkimrelay.relay.dkim.DkimSigner.SignatureField;
import org.dkimrelay.relay.dkim.SigningEngine.Outcome;
import org.dkimrelay.relay.reply.SmtpReply;

/** What the pipeline decided for one message: a value the front-end acts on. */
public sealed interface Verdict {
  /** The engine's outcome, for logs and metrics. */
  Outcome outcome();

  /** One line for the transaction log: the From domain and the d=/s=/a= of each signature. */
  String description();

  /** Deliver the message with {@code fields} on top (none: unsigned, as policy allows). */
  record Send(Outcome outcome, List<SignatureField> fields, String description) implements Verdict {
    public Send {
      fields = List.copyOf(fields);
    }

    /** Writes the new fields, in the order they go on top of the message. */
    public void writeFields(OutputStream out) throws IOException {
      for (SignatureField field : fields) {
        out.write(field.bytes());
      }
    }
  }

  /** Refuse the message with {@code reply}: 5xx by policy, 4xx when signing was due and failed. */
  record Refuse(Outcome outcome, SmtpReply reply, String description) implements Verdict {}
}
