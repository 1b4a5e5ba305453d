package org.dkimrelay.relay.opensmtpd;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.spool.Spooler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenSMTPD proc-exec filter (smtpd-filters(7)): registers for the data lines and the commit of
 * smtp-in, holds each message's lines, sends back the DKIM-Signature field(s) and then the lines
 * unchanged, and at commit proceeds or rejects with the pipeline's reply. smtpd stops as a whole
 * when a filter exits or writes anything but protocol to stdout: so nothing else goes to {@code
 * out} (logs go to stderr), no input makes this loop end but end of input (or a protocol version it
 * does not speak, which it must not guess at), and a message whose handling fails is refused with
 * 451 at commit, never passed on unsigned. Messages are held in the spool, not on the heap.
 */
public final class OpenSmtpdFilter {
  private static final Logger LOG = LoggerFactory.getLogger(OpenSmtpdFilter.class);

  // smtpd-filters(7) versions whose lines this filter reads and writes (OpenSMTPD 6.7 to 7.x).
  private static final Set<String> VERSIONS = Set.of("0.5", "0.6", "0.7");

  private final MessagePipeline pipeline;
  private final Spooler spooler;
  private final long maxMessageSize;
  private final Clock clock;
  private final PrintStream out;
  private final Map<String, FilterMessage> messages = new HashMap<>(); // by session
  private final Map<String, SmtpReply> refusals = new HashMap<>(); // by session, until commit
  private final Map<String, String> logins = new HashMap<>(); // by session, once AUTH passed
  private String hostname = "localhost";

  /** smtpd speaks a protocol version this filter does not: it must stop, not guess. */
  public static final class UnsupportedVersion extends IOException {
    private static final long serialVersionUID = 1L;

    UnsupportedVersion(String version) {
      super(
          "smtpd speaks filter protocol "
              + version
              + "; this filter speaks "
              + String.join(", ", new TreeSet<>(VERSIONS))
              + " (OpenSMTPD 6.7 to 7.x)");
    }
  }

  public OpenSmtpdFilter(
      MessagePipeline pipeline,
      Spooler spooler,
      long maxMessageSize,
      Clock clock,
      PrintStream out) {
    this.pipeline = pipeline;
    this.spooler = spooler;
    this.maxMessageSize = maxMessageSize;
    this.clock = clock;
    this.out = out;
  }

  /**
   * Runs until end of input (smtpd closes the pipe when it stops).
   *
   * @throws UnsupportedVersion at the first line of a protocol version this filter does not speak
   */
  public void run(InputStream input) throws IOException {
    FilterInput in = new FilterInput(input);
    try {
      for (var line = in.next(); line.isPresent(); line = in.next()) {
        FilterLine parsed = FilterLine.parse(line.get().text());
        requireKnownVersion(parsed);
        try {
          handle(parsed, line.get());
        } catch (RuntimeException e) {
          LOG.error(
              "opensmtpd-filter: internal error on a line, the message is refused with 451", e);
          failSessionOf(parsed);
        }
        out.flush();
      }
    } finally {
      messages.values().forEach(FilterMessage::close);
      messages.clear();
    }
  }

  private static void requireKnownVersion(FilterLine line) throws UnsupportedVersion {
    String version =
        line instanceof FilterLine.Filter filter
            ? filter.version()
            : line instanceof FilterLine.Report report ? report.version() : null;
    if (version != null && !VERSIONS.contains(version)) {
      throw new UnsupportedVersion(version);
    }
  }

  private void handle(FilterLine line, FilterInput.Line raw) {
    if (line instanceof FilterLine.Config config) {
      configure(config);
    } else if (line instanceof FilterLine.Filter filter) {
      switch (filter.phase()) {
        case "data-line" -> dataLine(filter, raw.cut());
        case "commit" -> commit(filter);
        default -> send("filter-result", filter, "proceed"); // a phase we did not ask for
      }
    } else if (line instanceof FilterLine.Report report) {
      switch (report.event()) {
        case "link-auth" ->
            FilterLine.authenticated(report)
                .ifPresent(login -> logins.put(report.session(), login));
        case "link-disconnect" -> {
          discard(report.session());
          refusals.remove(report.session());
          logins.remove(report.session());
        }
        default -> {} // not registered for
      }
    } else {
      LOG.warn(
          "opensmtpd-filter: ignored a line that is not the filter protocol: {}",
          raw.text().length() > 200 ? raw.text().substring(0, 200) + "..." : raw.text());
    }
  }

  private void discard(String session) {
    FilterMessage message = messages.remove(session);
    if (message != null) {
      message.close();
    }
  }

  private void configure(FilterLine.Config config) {
    switch (config.key()) {
      case "admd" -> hostname = config.value(); // smtpd's host name, for a Message-ID we add
      case "ready" -> {
        out.println("register|filter|smtp-in|data-line");
        out.println("register|filter|smtp-in|commit");
        out.println("register|report|smtp-in|link-auth"); // the login decides what is signed
        out.println("register|report|smtp-in|link-disconnect");
        out.println("register|ready");
      }
      default -> {} // smtpd-version, protocol, subsystem, smtp-session-timeout: nothing to do
    }
  }

  private void dataLine(FilterLine.Filter filter, boolean cut) {
    FilterMessage message =
        messages.computeIfAbsent(
            filter.session(),
            session ->
                new FilterMessage(
                    pipeline.begin(session, Optional.ofNullable(logins.get(session))),
                    maxMessageSize,
                    spooler.newStore(),
                    spooler.newHeaderBuffer()));
    if (cut || !filter.payload().equals(".")) {
      message.line(new FilterInput.Line(filter.payload(), cut));
      return;
    }
    messages.remove(filter.session());
    Verdict verdict;
    try {
      verdict = message.end(clock, hostname, line -> send("filter-dataline", filter, line));
    } finally {
      message.close();
    }
    if (verdict instanceof Verdict.Refuse refuse) {
      refusals.put(filter.session(), refuse.reply());
    }
    message.log("opensmtpd session=" + filter.session(), verdict);
  }

  private void commit(FilterLine.Filter filter) {
    SmtpReply refusal = refusals.remove(filter.session());
    if (refusal == null) {
      send("filter-result", filter, "proceed");
    } else {
      // smtpd gives the client this reply as it is ("%" has no special meaning here)
      send("filter-result", filter, "reject|" + refusal.wire().replace("\r\n", " "));
    }
  }

  /** After an internal error: the session's message is refused with 451 at commit. */
  private void failSessionOf(FilterLine parsed) {
    if (parsed instanceof FilterLine.Filter filter) {
      discard(filter.session());
      refusals.put(filter.session(), Replies.INTERNAL_ERROR);
      if (filter.phase().equals("data-line") && filter.payload().equals(".")) {
        send("filter-dataline", filter, ".");
      } else if (filter.phase().equals("commit")) {
        commit(filter);
      }
    }
  }

  private void send(String kind, FilterLine.Filter filter, String payload) {
    String line = kind + '|' + filter.session() + '|' + filter.token() + '|' + payload + '\n';
    out.write(line.getBytes(StandardCharsets.ISO_8859_1), 0, line.length()); // bytes, as received
  }
}
