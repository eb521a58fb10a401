package io.mcp.examples;

import io.mcp.config.McpServerConfig;
import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.FleetEvent;
import io.mcp.core.NodeView;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.grpc.GrpcAgentTransport;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The control-plane demo: a controller (MCP/1 over TCP and gRPC) and agents for two services on
 * loopback, some connected over TCP and some over gRPC; a config is applied and every agent ACKs
 * it, one agent NACKs a config it cannot parse, and the service is rolled back. Then it keeps
 * running until Ctrl-C, printing mcpctl commands to try (or returns at once with {@code --exit}).
 */
final class ControlPlaneDemo {
  static final String AGENT_TOKEN = "demo-agent-token-0001";
  static final String ADMIN_TOKEN = "demo-admin-token-0001";

  private final PrintStream out;
  /** Answers (ACK or NACK) printed so far, by "service@version". */
  private final java.util.Map<String, Integer> printed = new java.util.concurrent.ConcurrentHashMap<>();

  ControlPlaneDemo(PrintStream out) {
    this.out = out;
  }

  /** Runs the demo on {@code config} (its auth section is replaced by the demo's tokens). */
  int run(McpServerConfig config, boolean exit) throws Exception {
    List<AutoCloseable> resources = new ArrayList<>();
    ControllerServer server = ControllerServer.start(config.toBuilder().auth(io.mcp.config.AuthConfig.builder()
        .agentToken(io.mcp.config.Secret.of(AGENT_TOKEN)).adminToken(io.mcp.config.Secret.of(ADMIN_TOKEN)).build())
        .build(), "demo-controller", out);
    resources.add(server);
    Controller controller = server.controller();
    out.println();
    controller.subscribe(this::print);

    InetSocketAddress tcp = new InetSocketAddress("127.0.0.1", server.mcpPort());
    InetSocketAddress grpc = new InetSocketAddress("127.0.0.1", server.grpcPort());
    // node, service, zone, transport
    String[][] fleet = {{"pay-1", "payments", "eu-1", "tcp"}, {"pay-2", "payments", "eu-2", "grpc"},
        {"pay-3", "payments", "us-1", "tcp"}, {"ship-1", "shipping", "eu-1", "grpc"}};
    for (String[] node : fleet) {
      boolean strict = node[0].equals("pay-3"); // this node refuses configs it cannot parse
      AgentOptions.Builder options = AgentOptions.builder(node[0]).services(node[1])
          .token(AGENT_TOKEN).metadata("zone", node[2])
          .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(50)).build())
          .configListener((service, version, config1) -> {
            String text = StandardCharsets.UTF_8.decode(config1).toString();
            if (strict && !text.contains("=")) {
              throw new IllegalArgumentException("line 1: expected key=value, got \"" + text + "\"");
            }
          });
      if (node[3].equals("grpc")) {
        options.transport(GrpcAgentTransport.create(null)).endpoint(grpc);
      } else {
        options.endpoint(tcp);
      }
      resources.add(0, Agent.create(options.build()).start());
    }
    awaitConnected(controller, fleet.length);

    long v1 = controller.apply("payments", "limit=100".getBytes(StandardCharsets.UTF_8));
    report(controller.awaitRollout("payments", v1, RolloutCondition.all(), Duration.ofSeconds(10)));
    long s1 = controller.apply("shipping", "carrier=dhl".getBytes(StandardCharsets.UTF_8));
    report(controller.awaitRollout("shipping", s1, RolloutCondition.all(), Duration.ofSeconds(10)));

    long bad = controller.apply("payments", "limit: 250".getBytes(StandardCharsets.UTF_8));
    report(controller.awaitRollout("payments", bad, RolloutCondition.all(), Duration.ofSeconds(10)));

    long back = controller.rollback("payments", v1);
    out.println("rolled payments back to the content of version " + v1 + " as version " + back);

    report(controller.awaitRollout("payments", back, RolloutCondition.all(), Duration.ofSeconds(10)));

    out.println();
    out.printf("%-8s %-10s %-10s %-7s %-8s %s%n", "NODE", "SERVICE", "TRANSPORT", "ZONE", "APPLIED", "LAST REJECTION");
    for (NodeView node : controller.nodes()) {
      String service = node.services().iterator().next();
      NodeView.Rejection rejection = node.rejections().get(service);
      out.printf("%-8s %-10s %-10s %-7s %-8d %s%n", node.nodeId(), service, node.transport(),
          node.metadata().get("zone"), node.appliedVersion(service),
          rejection == null ? "-" : "v" + rejection.version() + ": " + rejection.reason());
    }
    out.println();
    boolean converged = controller.nodes().stream().allMatch(n -> n.appliedVersion(
        n.services().iterator().next()) == controller.releasedVersion(n.services().iterator().next()));
    if (exit) {
      closeAll(resources);
      return converged ? 0 : 1;
    }
    tryNext(server);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      closeAll(resources);
      out.println("stopped");
      stopped.countDown();
    }, "demo-shutdown"));
    stopped.await();
    return 0;
  }

  private void tryNext(ControllerServer server) {
    String target = "127.0.0.1:" + server.grpcPort();
    out.println("Everything keeps running. Try next, in another terminal:");
    out.println("  export MCP_TARGET=" + target + " MCP_TOKEN=" + ADMIN_TOKEN);
    out.println("  bin/mcpctl nodes");
    out.println("  bin/mcpctl status --follow                              # live events; Ctrl-C to stop");
    out.println("  printf 'limit=300\\n' > /tmp/payments.conf");
    out.println("  bin/mcpctl apply payments --file /tmp/payments.conf --wait");
    out.println("  bin/mcpctl history payments");
    out.println("  bin/mcpctl get payments");
    out.println("  bin/mcpctl rollback payments --to 1 --wait");
    out.println(consoleLine(server));
    out.println("Press Ctrl-C to stop.");
  }

  /** The web console's URL on the gateway's port, with the token it asks for. */
  static String consoleLine(ControllerServer server) {
    if (server.httpPort() < 0) {
      return "  web console: disabled (http.enabled=false)";
    }
    return "  web console: http://127.0.0.1:" + server.httpPort() + "/console/  (admin token " + ADMIN_TOKEN + ")";
  }

  private void print(FleetEvent event) {
    if (event.type() == FleetEvent.Type.APPLIED || event.type() == FleetEvent.Type.REJECTED) {
      printed.merge(event.service() + "@" + event.version(), 1, Integer::sum);
    }
    switch (event.type()) {
      case APPLIED -> out.printf("  %-8s ACK  %s@%d%n", event.nodeId(), event.service(), event.version());
      case REJECTED -> out.printf("  %-8s NACK %s@%d: %s%n", event.nodeId(), event.service(), event.version(),
          event.detail());
      case CONNECTED -> out.printf("  %-8s connected over %s (%s, zone %s)%n", event.nodeId(),
          event.node().transport(), event.service(), event.node().metadata().get("zone"));
      default -> { }
    }
  }

  private void report(RolloutResult result) throws InterruptedException {
    // Events reach subscribers asynchronously: let this rollout's answers be printed first.
    int answers = result.acked().size() + result.rejected().size();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (printed.getOrDefault(result.service() + "@" + result.version(), 0) < answers
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    out.printf("%s@%d: %d acked, %d rejected, %d silent%n%n", result.service(), result.version(),
        result.acked().size(), result.rejected().size(), result.timedOut().size());
  }

  private static void awaitConnected(Controller controller, int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (controller.nodes().stream().filter(NodeView::connected).count() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("agents did not connect within 10 s");
      }
      Thread.sleep(10);
    }
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable resource : resources) {
      try {
        resource.close();
      } catch (Exception e) {
        // best effort on the way out
      }
    }
  }
}
