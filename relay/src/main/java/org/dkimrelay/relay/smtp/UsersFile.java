package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.auth.LoginFailedException;
import org.subethamail.smtp.auth.UsernamePasswordValidator;

/**
 * The SMTP AUTH users: {@code name:bcrypt-hash} lines, as {@code htpasswd -B} writes them (and
 * {@code mkpasswd -m bcrypt}); {@code #} starts a comment. Only hashes are kept, never passwords.
 */
final class UsersFile implements UsernamePasswordValidator {
  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}");
  // Checked for unknown names too, so the answer takes as long as for a known one.
  private static final String DECOY = "$2y$10$" + "G".repeat(53);

  private final Map<String, String> hashes;

  private UsersFile(Map<String, String> hashes) {
    this.hashes = Map.copyOf(hashes);
  }

  /**
   * @throws IllegalArgumentException naming the file and line that cannot be used
   */
  static UsersFile load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
    }
    Map<String, String> hashes = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      String hash = colon < 0 ? "" : line.substring(colon + 1);
      if (colon < 1 || !BCRYPT.matcher(hash).matches()) {
        throw new IllegalArgumentException(
            file + ":" + (i + 1) + ": not NAME:BCRYPT-HASH (make one with htpasswd -B)");
      }
      hashes.put(line.substring(0, colon), hash);
    }
    if (hashes.isEmpty()) {
      throw new IllegalArgumentException(file + ": no users in it");
    }
    return new UsersFile(hashes);
  }

  @Override
  public void login(String username, String password, MessageContext context)
      throws LoginFailedException {
    String hash = hashes.get(username);
    boolean matches =
        OpenBSDBCrypt.checkPassword(hash != null ? hash : DECOY, password.toCharArray());
    if (hash == null || !matches) {
      throw new LoginFailedException();
    }
  }
}
