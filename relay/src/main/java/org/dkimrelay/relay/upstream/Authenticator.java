package org.dkimrelay.relay.upstream;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.dkimrelay.relay.reply.ReplyCode;
import org.dkimrelay.relay.reply.SmtpReply;
import org.dkimrelay.relay.upstream.UpstreamException.Kind;

/** SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) or LOGIN, and only inside TLS. */
final class Authenticator {
  private final UpstreamClient client;

  Authenticator(UpstreamClient client) {
    this.client = client;
  }

  void authenticate(UpstreamSettings.Credentials credentials, String advertised, boolean tls)
      throws UpstreamException {
    if (!tls) {
      throw new UpstreamException(
          Kind.AUTH,
          "AUTH is configured but the connection is not TLS: set upstream.starttls = \"required\"");
    }
    List<String> mechanisms =
        advertised == null ? List.of() : List.of(advertised.toUpperCase(Locale.ROOT).split("\\s+"));
    String password = credentials.password();
    SmtpReply reply;
    if (mechanisms.contains("PLAIN")) {
      String token = "\0" + credentials.username() + "\0" + password;
      reply = client.command("AUTH PLAIN " + base64(token));
    } else if (mechanisms.contains("LOGIN")) {
      reply = login(credentials.username(), password);
    } else {
      throw new UpstreamException(
          Kind.AUTH, "upstream offers no AUTH PLAIN or LOGIN (offers: " + advertised + ")");
    }
    if (reply.code() != ReplyCode.AUTHENTICATION_SUCCEEDED) {
      throw new UpstreamException(
          Kind.AUTH, "upstream refused AUTH for " + credentials.username() + ": " + reply);
    }
  }

  private SmtpReply login(String username, String password) throws UpstreamException {
    SmtpReply reply = client.command("AUTH LOGIN");
    if (reply.code() != ReplyCode.SERVER_CHALLENGE) {
      return reply;
    }
    reply = client.command(base64(username));
    if (reply.code() != ReplyCode.SERVER_CHALLENGE) {
      return reply;
    }
    return client.command(base64(password));
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
