package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dkimrelay.keys.KeyToolException;
import org.dkimrelay.keys.SigningDomain;

/**
 * {@code [senders]}: what each SMTP AUTH login may have signed, and what becomes of its mail for an
 * author it may not sign for ({@code on-mismatch}: refused with 550 5.7.1, or passed unsigned;
 * never signed). Without {@code logins}, a login that names a domain ({@code alice@example.com})
 * signs for that domain only; {@code logins} maps a login, {@code *@DOMAIN} (every login of a
 * domain) or {@code *} (every login) to domains, single addresses or {@code *} (everything).
 */
public record SendersConfig(OnMismatch onMismatch, Map<String, List<String>> logins) {

  public SendersConfig {
    Map<String, List<String>> checked = new LinkedHashMap<>();
    logins.forEach((login, allowed) -> checked.put(login(login), allowed(login, allowed)));
    logins = Collections.unmodifiableMap(checked);
  }

  private static String login(String login) {
    if (login.isBlank() || login.chars().anyMatch(c -> c <= ' ')) {
      throw new IllegalArgumentException("logins: '" + login + "' is not a login");
    }
    if (login.startsWith("*@")) {
      domain(login.substring(2), "logins: '" + login + "'");
    } else if (login.contains("*") && !login.equals("*")) {
      throw new IllegalArgumentException(
          "logins: '" + login + "': a pattern is '*@DOMAIN' or '*', nothing else");
    }
    return login;
  }

  /** Each entry checked; a domain written as its A-label, lower case, as keys name it. */
  private static List<String> allowed(String login, List<String> allowed) {
    String where = "logins.\"" + login + "\"";
    if (allowed.isEmpty()) {
      throw new IllegalArgumentException(where + " is empty: list what it may sign, or remove it");
    }
    return allowed.stream()
        .map(
            entry -> {
              String value = entry.trim();
              if (value.equals("*")) {
                return value;
              }
              int at = value.lastIndexOf('@');
              if (at > 0) {
                return value.substring(0, at + 1) + domain(value.substring(at + 1), where);
              }
              return domain(value, where);
            })
        .toList();
  }

  private static String domain(String text, String where) {
    try {
      return SigningDomain.parse(text).name();
    } catch (KeyToolException e) {
      throw new IllegalArgumentException(
          where + ": '" + text + "' is not a domain, an address or '*'");
    }
  }

  /** {@code senders.on-mismatch}. */
  public enum OnMismatch {
    REJECT,
    UNSIGNED;

    @JsonCreator
    static OnMismatch parse(String text) {
      return Choice.parse(OnMismatch.class, text);
    }

    @JsonValue
    public String word() {
      return Choice.word(this);
    }
  }
}
