package org.dkimrelay.relay.opensmtpd;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dkimrelay.relay.dkim.SigningEngine.Outcome;
import org.dkimrelay.relay.pipeline.MessagePipeline;
import org.dkimrelay.relay.pipeline.Verdict;
import org.dkimrelay.relay.reply.Replies;
import org.dkimrelay.relay.reply.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenSMTPD proc-exec filter (smtpd-filters(7)): registers for the data lines and the commit of
 * smtp-in, holds each message's lines, sends back the DKIM-Signature field(s) and then the lines
 * unchanged, and at commit proceeds or rejects with the pipeline's reply. smtpd stops as a whole
 * when a filter exits or writes anything but protocol to stdout: so nothing else goes to {@code
 * out} (logs go to stderr), no input makes this loop end but end of input, and a message whose
 * handling fails is refused with 451 at commit, never passed on unsigned.
 */
public final class OpenSmtpdFilter {
  private static final Logger LOG = LoggerFactory.getLogger(OpenSmtpdFilter.class);

  private final MessagePipeline pipeline;
  private final long maxMessageSize;
  private final Clock clock;
  private final PrintStream out;
  private final Map<String, FilterMessage> messages = new HashMap<>(); // by session
  private final Map<String, SmtpReply> refusals = new HashMap<>(); // by session, until commit
  private String hostname = "localhost";

  public OpenSmtpdFilter(
      MessagePipeline pipeline, long maxMessageSize, Clock clock, PrintStream out) {
    this.pipeline = pipeline;
    this.maxMessageSize = maxMessageSize;
    this.clock = clock;
    this.out = out;
  }

  /** Runs until end of input (smtpd closes the pipe when it stops). */
  public void run(BufferedReader in) throws IOException {
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      try {
        handle(FilterLine.parse(line));
      } catch (RuntimeException e) {
        LOG.error("opensmtpd-filter: internal error on a line, the message is refused with 451", e);
        failSessionOf(line);
      }
      out.flush();
    }
  }

  private void handle(FilterLine line) {
    if (line instanceof FilterLine.Config config) {
      configure(config);
    } else if (line instanceof FilterLine.Filter filter) {
      switch (filter.phase()) {
        case "data-line" -> dataLine(filter);
        case "commit" -> commit(filter);
        default -> send("filter-result", filter, "proceed"); // a phase we did not ask for
      }
    } else if (line instanceof FilterLine.Report report) {
      if (report.event().equals("link-disconnect")) {
        messages.remove(report.session());
        refusals.remove(report.session());
      }
    } else {
      LOG.warn("opensmtpd-filter: ignored a line that is not the filter protocol: {}", line);
    }
  }

  private void configure(FilterLine.Config config) {
    switch (config.key()) {
      case "admd" -> hostname = config.value(); // smtpd's host name, for a Message-ID we add
      case "ready" -> {
        out.println("register|filter|smtp-in|data-line");
        out.println("register|filter|smtp-in|commit");
        out.println("register|report|smtp-in|link-disconnect");
        out.println("register|ready");
      }
      default -> {} // smtpd-version, protocol, subsystem, smtp-session-timeout: nothing to do
    }
  }

  private void dataLine(FilterLine.Filter filter) {
    FilterMessage message =
        messages.computeIfAbsent(
            filter.session(),
            session -> new FilterMessage(pipeline.begin(session), maxMessageSize));
    if (!filter.payload().equals(".")) {
      message.line(filter.payload());
      return;
    }
    messages.remove(filter.session());
    long start = System.nanoTime();
    FilterMessage.Result result = message.end(clock, hostname);
    for (String line : result.lines()) {
      send("filter-dataline", filter, line);
    }
    if (result.refusal() != null) {
      refusals.put(filter.session(), result.refusal());
    }
    log(filter.session(), result, message.size(), Duration.ofNanos(System.nanoTime() - start));
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

  private void log(String session, FilterMessage.Result result, long size, Duration took) {
    Verdict verdict = result.verdict();
    if (verdict instanceof Verdict.Send send) {
      pipeline.delivered(send, true, size, took);
    } else if (verdict == null) {
      pipeline.metrics().refused("too_large");
    }
    String what = verdict == null ? "refused: too large" : verdict.description();
    if (verdict != null && verdict.outcome() instanceof Outcome.Failed) {
      LOG.error("opensmtpd session={} {}", session, what);
    }
    LOG.info(
        "opensmtpd session={} {} size={} reply=\"{}\" ms={}",
        session,
        what,
        size,
        result.refusal() == null ? "proceed" : result.refusal(),
        took.toMillis());
  }

  /** After an internal error: the session's message is refused with 451 at commit. */
  private void failSessionOf(String line) {
    FilterLine parsed = FilterLine.parse(line);
    if (parsed instanceof FilterLine.Filter filter) {
      messages.remove(filter.session());
      refusals.put(filter.session(), Replies.INTERNAL_ERROR);
      if (filter.phase().equals("data-line") && filter.payload().equals(".")) {
        send("filter-dataline", filter, ".");
      } else if (filter.phase().equals("commit")) {
        commit(filter);
      }
    }
  }

  private void send(String kind, FilterLine.Filter filter, String payload) {
    out.println(String.join("|", List.of(kind, filter.session(), filter.token(), payload)));
  }
}
