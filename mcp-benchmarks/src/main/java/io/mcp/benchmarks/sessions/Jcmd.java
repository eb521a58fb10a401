package io.mcp.benchmarks.sessions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the JDK's {@code jcmd} against this JVM. The first call starts the JVM's attach listener
 * thread, so call {@link #available()} before a baseline to keep that thread out of what is
 * measured. Thread-safe.
 */
final class Jcmd {
  private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");

  private Jcmd() {}

  /** Whether {@code jcmd} exists and answers for this JVM (a JRE has none). */
  static boolean available() {
    if (!Files.isExecutable(JCMD)) {
      return false;
    }
    try {
      run("VM.uptime");
      return true;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Runs {@code jcmd <this pid> command...} and returns what it printed.
   *
   * @throws IOException if it cannot run, fails, or takes over 2 minutes
   */
  static String run(String... command) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of(JCMD.toString(), Long.toString(ProcessHandle.current().pid())));
    argv.addAll(List.of(command));
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IOException("jcmd " + String.join(" ", command) + " failed: " + output);
    }
    return output;
  }
}
