package org.dkimrelay.relay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs an outside program (an oracle such as dkimpy or openssl) with a time limit. */
public final class ExternalTool {
  private static final Duration LIMIT = Duration.ofSeconds(60);

  private ExternalTool() {}

  /** What the program did: exit status and both outputs. */
  public record Result(int exit, byte[] stdout, String stderr) {
    public String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return "exit " + exit + "\nstdout: " + out() + "\nstderr: " + stderr;
    }
  }

  /** Gives {@code path} and everything under it to {@code user}. */
  public static void chown(String user, Path path) {
    Result result = run(List.of("chown", "-R", user, path.toString()));
    if (result.exit() != 0) {
      throw new AssertionError("chown failed: " + result);
    }
  }

  public static Result run(byte[] stdin, List<String> command) {
    try {
      Process process = new ProcessBuilder(command).start();
      CompletableFuture<byte[]> out = readAll(process.getInputStream());
      CompletableFuture<byte[]> err = readAll(process.getErrorStream());
      try (OutputStream in = process.getOutputStream()) {
        in.write(stdin);
      } catch (IOException e) {
        // the program may exit without reading its input; its exit status tells the rest
      }
      if (!process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(command + " did not finish within " + LIMIT);
      }
      return new Result(
          process.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot run " + command + ": is it installed? (scripts/test installs it)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public static Result run(List<String> command) {
    return run(new byte[0], command);
  }

  private static CompletableFuture<byte[]> readAll(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }
}
