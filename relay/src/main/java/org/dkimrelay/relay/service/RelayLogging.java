package org.dkimrelay.relay.service;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.dkimrelay.relay.config.RelayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay logs at INFO (commands only warn): one line per transaction, text or, with {@code
 * log.format = "json"}, one JSON object per line. Nothing logged holds message content or key
 * material.
 */
public final class RelayLogging {
  private RelayLogging() {}

  public static void configure(RelayConfig.LogFormat format) {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    // SubEthaSMTP's INFO lines ("SMTP server ... starting", even right before a bind fails) say
    // nothing our own lines do not: its warnings and errors are kept.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.subethamail"))
        .setLevel(Level.WARN);
    if (format != RelayConfig.LogFormat.JSON) {
      return;
    }
    LoggerContext context = root.getLoggerContext();
    ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
    json.setContext(context);
    json.setName("JSON");
    json.setTarget("System.err");
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithFormattedMessage(true); // the line as text, not the pattern and its arguments
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);

    encoder.start();
    json.setEncoder(encoder);
    json.start();
    root.detachAndStopAllAppenders();
    root.addAppender(json);
  }
}
