package io.mcp.examples.embed;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Health;
import io.mcp.grpc.GrpcAgentTransport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An agent inside a service: it receives {@code key=value} configuration, applies it (or rejects it
 * with a reason, which NACKs the version), remembers the last good one across restarts, and reports
 * its health.
 */
public final class EmbeddedAgent implements AutoCloseable {
  private final AtomicReference<Properties> current = new AtomicReference<>(new Properties());
  private final Agent agent;

  private EmbeddedAgent(String nodeId, String service, InetSocketAddress controller, boolean overGrpc, String token,
      Path stateDirectory) {
    AgentOptions.Builder options = AgentOptions.builder(nodeId)
        .services(service)
        .endpoint(controller)
        .token(token)
        .metadata("zone", "eu-1")
        .stateDirectory(stateDirectory)
        .configListener((s, version, config) -> current.set(parse(StandardCharsets.UTF_8.decode(config).toString())));
    if (overGrpc) {
      options.transport(GrpcAgentTransport.create(null)); // the controller's gRPC port instead of its TCP port
    }
    this.agent = Agent.create(options.build());
  }

  /**
   * Starts an agent of {@code service} connected to {@code controller} (its MCP/1 TCP port, or its
   * gRPC port when {@code overGrpc}).
   */
  public static EmbeddedAgent start(String nodeId, String service, InetSocketAddress controller, boolean overGrpc,
      String token, Path stateDirectory) {
    EmbeddedAgent embedded = new EmbeddedAgent(nodeId, service, controller, overGrpc, token, stateDirectory);
    embedded.agent.start();
    return embedded;
  }

  /** Parses {@code key=value} lines; anything else is rejected (the agent NACKs the version). */
  static Properties parse(String text) {
    Properties properties = new Properties();
    int number = 0;
    for (String line : text.split("\n", -1)) {
      number++;
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("line " + number + ": expected key=value");
      }
      properties.setProperty(trimmed.substring(0, eq).strip(), trimmed.substring(eq + 1).strip());
    }
    return properties;
  }

  /** The configuration in effect. */
  public Properties current() {
    return current.get();
  }

  /** The underlying agent (applied versions, session). */
  public Agent agent() {
    return agent;
  }

  /** Reports this node's health and a metric to the controller. */
  public void reportHealthy(double queueDepth) {
    agent.reportStatus(Health.HEALTHY, Map.of("queue_depth", queueDepth));
  }

  @Override
  public void close() {
    agent.close();
  }
}
