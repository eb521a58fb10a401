package io.mcp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.NodeView;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.ServerOptions;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.Authenticator;
import io.mcp.grpc.GrpcAgentTransport;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every mcpctl command against a real controller on loopback, with in-process agents. */
class McpctlTest {
  static final Authenticator AUTH = request -> switch (request.token()) {
    case "admin-token" -> Identity.of("ops", Set.of("admin"), Set.of());
    case "agent-token" -> Identity.of(request.nodeId().isEmpty() ? "agent" : request.nodeId(), Set.of("agent"), Set.of());
    default -> throw new AuthenticationException("invalid token");
  };

  @TempDir Path dir;
  Controller controller;
  GrpcControlPlaneServer grpc;
  final List<AutoCloseable> closeables = new ArrayList<>();
  /** Released at teardown: agents that hold their answer wait on it. */
  final CountDownLatch release = new CountDownLatch(1);

  /** What one run printed and returned. */
  record Run(int code, String out, String err) {}

  @BeforeEach
  void start() {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1").build()).start();
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    grpc.shutdown(Duration.ofSeconds(2));
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  Run mcpctl(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Mcpctl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** As an operator: admin token, --target of the test controller. */
  Run admin(String... args) {
    return mcpctl(Map.of("MCP_TARGET", "127.0.0.1:" + grpc.port(), "MCP_TOKEN", "admin-token"), args);
  }

  enum Behaviour { ACK, NACK_WITHOUT_EQUALS, HOLD }

  void agent(String nodeId, String service, boolean overGrpc, Behaviour behaviour) {
    AgentOptions.Builder options = AgentOptions.builder(nodeId).services(service).token("agent-token")
        .metadata("zone", nodeId.endsWith("1") ? "a" : "b")
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build())
        .configListener((s, v, c) -> {
          String text = StandardCharsets.UTF_8.decode(c).toString();
          if (behaviour == Behaviour.NACK_WITHOUT_EQUALS && !text.contains("=")) {
            throw new IllegalArgumentException("expected key=value, got \"" + text + "\"");
          }
          if (behaviour == Behaviour.HOLD && text.contains("hold")) {
            release.await(20, TimeUnit.SECONDS); // bounded; released at teardown
          }
        });
    if (overGrpc) {
      options.transport(GrpcAgentTransport.create(null)).endpoint(new InetSocketAddress("127.0.0.1", grpc.port()));
    } else {
      options.endpoint(new InetSocketAddress("127.0.0.1", controller.port()));
    }
    closeables.add(Agent.create(options.build()).start());
  }

  void awaitConnected(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (controller.nodes().stream().filter(NodeView::connected).count() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(controller.nodes().stream().filter(NodeView::connected).count()).isEqualTo(count);
  }

  Path file(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  void apply_thenGet_returnsTheBytes_andGetToAFile() throws Exception {
    Run applied = admin("apply", "payments", "--file", file("p.conf", "limit=5\n").toString());
    assertThat(applied).isEqualTo(new Run(0, "applied payments version 1 (8 bytes)\n", ""));

    assertThat(admin("get", "payments")).isEqualTo(new Run(0, "limit=5\n", ""));
    Path output = dir.resolve("out.conf");
    assertThat(admin("get", "payments", "--version", "1", "--output", output.toString()))
        .isEqualTo(new Run(0, "wrote payments version 1 (8 bytes) to " + output + "\n", ""));
    assertThat(Files.readString(output)).isEqualTo("limit=5\n");

    assertThat(admin("get", "payments", "--version", "9")).isEqualTo(new Run(7, "",
        "mcpctl: error: version 9 of payments is not in the history\n"));
    assertThat(admin("get", "nothing")).isEqualTo(new Run(7, "",
        "mcpctl: error: service nothing has no configuration\n"));
  }

  @Test
  void applyWait_everyAgentAcks_overTcpAndGrpc_exit0() throws Exception {
    agent("pay-1", "payments", false, Behaviour.ACK);
    agent("pay-2", "payments", false, Behaviour.ACK);
    agent("pay-3", "payments", true, Behaviour.ACK);
    awaitConnected(3);

    Run run = admin("apply", "payments", "--file", file("p.conf", "limit=5").toString(), "--wait", "--timeout", "20s");

    assertThat(run.code()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).endsWith("payments version 1: 3 acked, 0 rejected, 0 timed out\n");
  }

  @Test
  void applyWait_aNackingAgent_exit3_withTheReason() throws Exception {
    agent("pay-1", "payments", false, Behaviour.ACK);
    agent("pay-2", "payments", true, Behaviour.NACK_WITHOUT_EQUALS);
    awaitConnected(2);

    Run run = admin("apply", "payments", "--file", file("bad.conf", "limit: 5").toString(), "--wait");

    assertThat(run.code()).isEqualTo(3);
    assertThat(run.out()).contains("payments version 1: 1 acked, 1 rejected, 0 timed out\n",
        "  rejected by pay-2: expected key=value, got \"limit: 5\"\n");
    assertThat(run.err()).isEqualTo("mcpctl: error: payments version 1 was rejected by 1 node\n");
  }

  @Test
  void applyWait_anAgentThatDoesNotAnswerInTime_exit5() throws Exception {
    agent("pay-1", "payments", false, Behaviour.ACK);
    agent("pay-2", "payments", false, Behaviour.HOLD);
    awaitConnected(2);

    Run run = admin("apply", "payments", "--file", file("h.conf", "hold=1").toString(), "--wait", "--timeout", "1s");

    assertThat(run.code()).isEqualTo(5);
    assertThat(run.out()).contains("payments version 1: 1 acked, 0 rejected, 1 timed out\n", "  no answer from pay-2\n");
    assertThat(run.err()).isEqualTo(
        "mcpctl: error: timed out after 1s: 1 of 2 nodes did not acknowledge payments version 1\n");
  }

  @Test
  void applyCanary_theCanaryRejects_theRolloutHaltsAndSaysWhy() throws Exception {
    agent("pay-1", "payments", true, Behaviour.NACK_WITHOUT_EQUALS);
    agent("pay-2", "payments", true, Behaviour.NACK_WITHOUT_EQUALS);
    awaitConnected(2);

    Run run = admin("apply", "payments", "--file", file("bad.conf", "limit: 5").toString(), "--canary", "50%",
        "--wait", "--timeout", "30s");

    assertThat(run.code()).isEqualTo(3);
    assertThat(run.out()).contains(" rejected by ", "  rollout halted: wave 1 of 2 not promoted");
    assertThat(run.err()).isEqualTo("mcpctl: error: payments version 1 was rejected by 1 node\n");
  }

  @Test
  void applyCanary_byPercentAndLabels_andBadCanaryIsAUsageError() throws Exception {
    agent("pay-1", "payments", false, Behaviour.ACK);
    agent("pay-2", "payments", false, Behaviour.ACK);
    awaitConnected(2);
    Path config = file("p.conf", "limit=1");

    assertThat(admin("apply", "payments", "--file", config.toString(), "--canary", "50%", "--wait").out())
        .endsWith("payments version 1: 2 acked, 0 rejected, 0 timed out\n");
    assertThat(admin("apply", "payments", "--file", config.toString(), "--canary", "zone=a", "--wait").out())
        .endsWith("payments version 2: 2 acked, 0 rejected, 0 timed out\n");
    assertThat(admin("apply", "payments", "--file", config.toString(), "--canary", "half")).isEqualTo(new Run(2, "",
        "mcpctl: error: --canary 'half': write a percentage (10%) or labels (zone=a,tier=web)\n"));
    assertThat(admin("apply", "payments", "--file", config.toString(), "--canary", "0%")).isEqualTo(new Run(2, "",
        "mcpctl: error: --canary '0%': the percentage must be 1..100\n"));
  }

  @Test
  void history_andRollbackWait() throws Exception {
    agent("pay-1", "payments", false, Behaviour.ACK);
    awaitConnected(1);
    admin("apply", "payments", "--file", file("1.conf", "limit=1").toString());
    admin("apply", "payments", "--file", file("2.conf", "limit=2").toString());

    Run history = admin("history", "payments");
    assertThat(history.code()).isZero();
    List<String> lines = history.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).matches("VERSION  CREATED");
    assertThat(lines.get(1)).matches("2        \\d{4}-\\d\\d-\\d\\dT.*Z");
    assertThat(lines.get(2)).startsWith("1        ");

    Run back = admin("rollback", "payments", "--to", "1", "--wait");
    assertThat(back.code()).isZero();
    assertThat(back.out()).contains("rolled payments back to the content of version 1 as version 3\n")
        .endsWith("payments version 3: 1 acked, 0 rejected, 0 timed out\n");
    assertThat(admin("get", "payments").out()).isEqualTo("limit=1");
    assertThat(admin("rollback", "payments", "--to", "1")).isEqualTo(new Run(0,
        "rolled payments back to the content of version 1 as version 4\n", ""));
    assertThat(admin("rollback", "payments", "--to", "42").code()).isEqualTo(7);
    assertThat(admin("history", "unknown")).isEqualTo(new Run(7, "",
        "mcpctl: error: service unknown has no configuration\n"));
  }

  @Test
  void nodes_anAlignedTable_filteredByService() throws Exception {
    agent("pay-1", "payments", false, Behaviour.ACK);
    agent("ship-1", "shipping", true, Behaviour.ACK);
    awaitConnected(2);
    assertThat(admin("apply", "payments", "--file", file("p.conf", "x=1").toString(), "--wait").code()).isZero();

    List<String> all = admin("nodes").out().lines().toList();
    assertThat(all).hasSize(3);
    assertThat(all.get(0)).isEqualTo("NODE    SERVICE   TRANSPORT  APPLIED  HEALTH   RTT  LAST-SEEN");
    assertThat(all.get(1)).matches("pay-1   payments  tcp        1        \\S+ +\\S+ +\\d+s ago");
    assertThat(all.get(2)).matches("ship-1  shipping  grpc       -        \\S+ +\\S+ +\\d+s ago");
    List<String> shipping = admin("nodes", "--service", "shipping").out().lines().toList();
    assertThat(shipping).hasSize(2);
    assertThat(shipping.get(1)).startsWith("ship-1");
    assertThat(admin("nodes", "--service", "none")).isEqualTo(new Run(0, "no nodes of none\n", ""));
  }

  @Test
  void status_printsTheFleet_andFollowPrintsLiveEvents() throws Exception {
    agent("pay-1", "payments", false, Behaviour.ACK);
    awaitConnected(1);

    Run snapshot = admin("status");
    assertThat(snapshot.code()).isZero();
    assertThat(snapshot.out().lines().toList()).singleElement().asString()
        .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} SNAPSHOT pay-1 payments@- tcp \\S+");

    CompletableFuture<Run> follow = CompletableFuture.supplyAsync(() ->
        admin("status", "--follow", "--service", "payments", "--limit", "1"));
    // the follower is subscribed once the controller counts its subscription
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (controller.subscriptionCount() < 1 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    admin("apply", "payments", "--file", file("p.conf", "x=1").toString());
    Run followed = follow.get(20, TimeUnit.SECONDS);
    assertThat(followed.code()).isZero();
    List<String> lines = followed.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} APPLIED pay-1 payments v1");
  }

  @Test
  void completion_printsABashScript() {
    Run run = admin("completion");
    assertThat(run.code()).isZero();
    assertThat(run.out()).startsWith("#!/usr/bin/env bash").contains("complete -F").contains("rollback");
  }

  @Test
  void unreachableTarget_exit4_oneLineNoStackTrace() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Run run = mcpctl(Map.of("MCP_TOKEN", "admin-token"), "--target", "127.0.0.1:" + port, "nodes");
    assertThat(run.code()).isEqualTo(4);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).startsWith("mcpctl: error: cannot reach the controller at 127.0.0.1:" + port + ": ")
        .contains("Connection refused").endsWith("\n");
    assertThat(run.err().lines().count()).isEqualTo(1);
  }

  @Test
  void credentials_missingWrongOrAgentOnly_exit6_tokenNeverEchoed() throws IOException {
    Path config = file("p.conf", "x=1");
    String target = "127.0.0.1:" + grpc.port();
    Run wrong = mcpctl(Map.of(), "apply", "payments", "--file", config.toString(), "--target", target,
        "--token", "s3cret-wrong");
    assertThat(wrong.code()).isEqualTo(6);
    assertThat(wrong.err()).startsWith("mcpctl: error: not authenticated by " + target).doesNotContain("s3cret");
    Run agentOnly = mcpctl(Map.of("MCP_TOKEN", "agent-token"), "--target", target, "apply", "payments", "--file",
        config.toString());
    assertThat(agentOnly.code()).isEqualTo(6);
    assertThat(agentOnly.err()).startsWith("mcpctl: error: permission denied: ").doesNotContain("agent-token");
  }

  @Test
  void usageErrors_exit2() {
    assertThat(admin("apply", "payments").code()).isEqualTo(2);
    assertThat(admin("apply", "payments").err()).isEqualTo(
        "mcpctl: error: Missing required option: '--file=FILE' (see 'mcpctl apply --help')\n");
    assertThat(admin("apply", "payments", "--file", dir.resolve("none.conf").toString())).isEqualTo(new Run(2, "",
        "mcpctl: error: cannot read " + dir.resolve("none.conf") + ": no such file\n"));
    assertThat(admin("apply", "payments", "--file", "x", "--timeout", "soon").code()).isEqualTo(2);
    assertThat(admin("nodes", "--target", "nowhere").err()).isEqualTo(
        "mcpctl: error: target 'nowhere' is not HOST:PORT (port 1..65535)\n");
    assertThat(admin("frobnicate").code()).isEqualTo(2);
    assertThat(admin().code()).isEqualTo(2);
  }
}
