package io.mcp.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.core.ClientOptions;
import io.mcp.core.McpClient;
import io.mcp.core.MessageHandlers;
import io.mcp.core.Reply;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the shaded jar as the README tells a user to, {@code java -jar mcp-examples.jar echo-server
 * --port 0}, talks MCP/1 to it with {@link McpClient}, and stops it with SIGTERM. Failsafe runs it
 * after {@code package} and passes the jar's path in the system property {@code mcp.examples.jar}.
 */
class EchoServerJarIT {
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
  /** The JVM's exit status after SIGTERM (128 + 15) once its shutdown hooks have run. */
  private static final int SIGTERM_EXIT = 143;

  @Test
  void jar_echoServer_echoesRequestAndOneWay_thenStopsCleanlyOnSigterm(@TempDir Path dir)
      throws Exception {
    Path jar = Path.of(System.getProperty("mcp.examples.jar", "target/mcp-examples.jar"));
    assertThat(jar).as("the shaded jar, built by package").isRegularFile();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Output output = new Output(dir.resolve("echo-server.out"));
    Process process = new ProcessBuilder(java, "-jar", jar.toString(), "echo-server", "--port", "0")
        .redirectErrorStream(true)
        .redirectOutput(output.file.toFile())
        .start();
    try {
      Matcher listening = output.await(LISTENING, Duration.ofSeconds(60));
      InetSocketAddress address =
          new InetSocketAddress("127.0.0.1", Integer.parseInt(listening.group(1)));

      BlockingQueue<String> oneWay = new LinkedBlockingQueue<>();
      MessageHandlers handlers = MessageHandlers.builder().fallback(message -> {
        oneWay.add(message.type() + " " + StandardCharsets.UTF_8.decode(message.body()));
        return Reply.empty();
      }).build();
      try (McpClient client =
          McpClient.create(ClientOptions.builder("jar-it").handlers(handlers).build())) {
        Session session = client.connect(address).get(30, TimeUnit.SECONDS);

        Reply reply = session.request("any.type", utf8("echo me"), Duration.ofSeconds(30))
            .get(30, TimeUnit.SECONDS);
        assertThat(new String(reply.bodyBytes(), StandardCharsets.UTF_8)).isEqualTo("echo me");
        session.send("any.note", utf8("and me")).get(30, TimeUnit.SECONDS);
        assertThat(oneWay.poll(30, TimeUnit.SECONDS)).isEqualTo("any.note and me");

        process.destroy(); // SIGTERM
        SessionClose close = session.closeFuture().get(30, TimeUnit.SECONDS);
        assertThat(close.code()).isEqualTo(CloseCode.GOING_AWAY);
      }
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
      output.await(Pattern.compile("stopped"), Duration.ofSeconds(10));
      assertThat(process.exitValue()).as("exit status; output:%n%s", output).isEqualTo(SIGTERM_EXIT);
      assertThat(output.lines()).noneMatch(line -> line.contains("Exception"));
    } finally {
      process.destroyForcibly();
    }
  }

  private static ByteBuffer utf8(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The child's output, written to a file: reading the pipe instead races with the JVM closing it
   * when the child exits, and the last lines (such as "stopped") can be lost.
   */
  private static final class Output {
    private final Path file;

    Output(Path file) {
      this.file = file;
    }

    /** Waits, at most {@code timeout}, for a line containing {@code pattern}; fails if none came. */
    Matcher await(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        for (String line : lines()) {
          Matcher m = pattern.matcher(line);
          if (m.find()) {
            return m;
          }
        }
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError(
              "no line matching " + pattern + " within " + timeout + "; output:\n" + this);
        }
        Thread.sleep(50);
      }
    }

    List<String> lines() throws IOException {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      try {
        return String.join("\n", lines());
      } catch (IOException e) {
        return "(unreadable: " + e + ")";
      }
    }
  }
}
