package io.mcp.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child JVM on this JVM's class path, driven by lines: commands go to its stdin, replies come
 * from its stdout; its stderr is inherited. The child exits when its stdin closes.
 *
 * <p>{@link #send} and {@link #expect} are meant for one driving thread.
 */
public final class ForkedJvm implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();

  private ForkedJvm(String name, Process process) {
    this.name = name;
    this.process = process;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          lines.add(Optional.of(line));
        }
      } catch (IOException e) {
        System.err.println(name + ": reading stdout failed: " + e);
      } finally {
        lines.add(Optional.empty());
      }
    }, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code mainClass} in a new JVM with {@code jvmOptions}, passing {@code args}. */
  public static ForkedJvm start(String name, List<String> jvmOptions, Class<?> mainClass, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    try {
      Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      return new ForkedJvm(name, process);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + " JVM: " + command, e);
    }
  }

  public long pid() {
    return process.pid();
  }

  /** Writes one line to the child's stdin and flushes it. */
  public void send(String line) {
    try {
      stdin.write(line);
      stdin.write('\n');
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(name + " JVM no longer reads its stdin (sending \"" + line + "\")", e);
    }
  }

  /** Waits for a stdout line that starts with {@code prefix}; other lines are echoed to stdout. */
  public String expect(String prefix, Duration timeout) throws InterruptedException {
    return expect(prefix, timeout, line -> System.out.println(name + ": " + line));
  }

  /**
   * Waits for a stdout line that starts with {@code prefix}; every other line goes to {@code other}.
   *
   * @throws IllegalStateException if the child exits or {@code timeout} passes first
   */
  public String expect(String prefix, Duration timeout, Consumer<String> other) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Optional<String> line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        throw new IllegalStateException(name + " JVM: no line starting with \"" + prefix + "\" within "
            + timeout.toSeconds() + " s");
      }
      if (line.isEmpty()) {
        lines.add(line);
        throw new IllegalStateException(name + " JVM ended (exit code " + exitCode() + ") before a line starting with \""
            + prefix + "\"");
      }
      if (line.get().startsWith(prefix)) {
        return line.get();
      }
      other.accept(line.get());
    }
  }

  private String exitCode() throws InterruptedException {
    return process.waitFor(2, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "none yet";
  }

  /** Closes the child's stdin, waits up to 15 s for it to exit, then destroys it. */
  @Override
  public void close() {
    try {
      stdin.close();
    } catch (IOException e) {
      // The child is already gone.
    }
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        System.err.println(name + " JVM did not exit within 15 s; destroying it");
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
