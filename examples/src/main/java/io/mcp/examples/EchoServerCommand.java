package io.mcp.examples;

import io.mcp.core.McpServer;
import io.mcp.core.Message;
import io.mcp.core.MessageHandlers;
import io.mcp.core.Reply;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.spi.Authenticator;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code echo-server}: a standalone MCP/1 server that answers every request, of any message type,
 * with a response carrying the request's body, and sends every one-way message back to its sender
 * as a one-way message of the same type and body — for testing peers written elsewhere against the
 * reference implementation.
 */
@Command(
    name = "echo-server",
    mixinStandardHelpOptions = true,
    description = "Serve MCP/1: answer every request, of any type, with its own body, and send every"
        + " one-way message back to its sender.")
final class EchoServerCommand implements Callable<Integer> {
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", required = true, description = "Port to bind; 0 picks a free one.")
  int port;

  @Option(names = "--token", description = "Shared token clients must send; without it every client is accepted.")
  String token;

  @Option(names = "--handshake-timeout-ms", defaultValue = "10000", description = "Default: ${DEFAULT-VALUE}.")
  long handshakeTimeoutMs;

  @Option(names = "--idle-timeout-ms", description = "Default: 3 heartbeat intervals.")
  Long idleTimeoutMs;

  @Option(names = "--heartbeat-interval-ms", defaultValue = "5000",
      description = "Interval for clients that ask for 0 (default: ${DEFAULT-VALUE}).")
  long heartbeatIntervalMs;

  @Option(names = "--max-payload-bytes", defaultValue = "4194304", description = "Default: ${DEFAULT-VALUE}.")
  int maxPayloadBytes;

  @Override
  public Integer call() throws InterruptedException {
    Authenticator authenticator = token == null ? Authenticators.allowAll() : Authenticators.staticToken(token);
    Duration interval = Duration.ofMillis(heartbeatIntervalMs);
    ServerOptions.Builder options = ServerOptions.builder()
        .host(host)
        .port(port)
        .authenticator(authenticator)
        .handshakeTimeout(Duration.ofMillis(handshakeTimeoutMs))
        .heartbeatInterval(interval)
        .heartbeatBounds(min(Duration.ofSeconds(1), interval), max(Duration.ofSeconds(60), interval))
        .maxPayloadBytes(maxPayloadBytes)
        .handlers(MessageHandlers.builder().fallback(EchoServerCommand::echo).build());
    if (idleTimeoutMs != null) {
      options.idleTimeout(Duration.ofMillis(idleTimeoutMs));
    }
    McpServer server = McpServer.create(options.build()).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown(Duration.ofSeconds(5)).join();
      System.out.println("stopped");
      System.out.flush();
      stopped.countDown();
    }, "echo-server-shutdown"));
    System.out.println("listening on " + server.localAddress().getHostString() + ":" + server.port());
    System.out.flush();
    stopped.await();
    return 0;
  }

  /**
   * A request is answered with its own body; a one-way message goes back to its sender as a one-way
   * message of the same type and body (without its headers, which described the way there).
   */
  static Reply echo(Message message) {
    if (message.isRequest()) {
      return Reply.of(message.body());
    }
    // The body is copied before send returns. If the session is closing or its outbound budget is
    // spent, the echo is dropped: one-way messages carry no promise of delivery.
    message.session().send(message.type(), message.body());
    return Reply.empty();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
