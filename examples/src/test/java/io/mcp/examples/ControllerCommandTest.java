package io.mcp.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.WaitCondition;
import io.mcp.store.sqlite.SqliteConfigStore;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code controller} in a child JVM as an operator runs it: listening lines, agents, gRPC, SIGTERM. */
class ControllerCommandTest {
  static final String AGENT_TOKEN = "agent-token-0123456789";
  static final String ADMIN_TOKEN = "admin-token-0123456789";

  @TempDir Path dir;

  @Test
  void controller_listensOnMcpAndGrpc_anAgentGetsWhatAnAdminApplies_andSigtermExitsZero() throws Exception {
    String javaBin = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command = new ArrayList<>(List.of(javaBin, "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "controller", "--mcp-port", "0", "--grpc-port", "0", "--http-port", "0",
        "--data-dir", dir.toString(), "--token", AGENT_TOKEN, "--admin-token", ADMIN_TOKEN,
        "--handshake-timeout-ms", "5000"));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> k.startsWith("MCP_"));
    // Output goes to a file: Process.destroy() closes the pipes, and the lines after SIGTERM matter.
    Path output = dir.resolve("controller.out");
    builder.redirectErrorStream(true).redirectOutput(output.toFile());
    Process process = builder.start();
    try {
      Pattern listening = Pattern.compile("^listening (mcp|grpc|http) 127\\.0\\.0\\.1:(\\d+)$");
      int mcpPort = -1;
      int grpcPort = -1;
      int httpPort = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while ((mcpPort < 0 || grpcPort < 0 || httpPort < 0) && System.nanoTime() < deadline) {
        assertThat(process.isAlive()).as("controller alive").isTrue();
        Thread.sleep(50); // polling a file for the child's output, bounded by the deadline
        mcpPort = -1;
        grpcPort = -1;
        httpPort = -1;
        for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
          Matcher m = listening.matcher(line);
          if (!m.matches()) {
            continue;
          }
          if (m.group(1).equals("mcp")) {
            assertThat(mcpPort).as("one mcp line").isEqualTo(-1);
            mcpPort = Integer.parseInt(m.group(2));
          } else if (m.group(1).equals("grpc")) {
            assertThat(grpcPort).as("one grpc line").isEqualTo(-1);
            grpcPort = Integer.parseInt(m.group(2));
          } else {
            assertThat(httpPort).as("one http line").isEqualTo(-1);
            httpPort = Integer.parseInt(m.group(2));
          }
        }
      }
      assertThat(mcpPort).isPositive();
      assertThat(grpcPort).isPositive();
      assertThat(httpPort).isPositive();

      List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
      try (Agent agent = Agent.create(AgentOptions.builder("node-1").services("payments").token(AGENT_TOKEN)
              .endpoint(new InetSocketAddress("127.0.0.1", mcpPort))
              .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build())
              .configListener((s, v, c) -> received.add(s + "@" + v + "=" + StandardCharsets.UTF_8.decode(c)))
              .build()).start();
           ControlPlaneClient admin = ControlPlaneClient.create("127.0.0.1", grpcPort, ADMIN_TOKEN, null,
              Duration.ofSeconds(20))) {
        long connectDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (agent.session().isEmpty() && System.nanoTime() < connectDeadline) {
          Thread.sleep(10);
        }
        Session session = agent.session().orElseThrow();
        ConfigResponse applied = admin.blocking().applyConfiguration(ConfigRequest.newBuilder()
            .setServiceName("payments").setConfigData(com.google.protobuf.ByteString.copyFromUtf8("limit=1"))
            .setRequestId("r-1").setWait(WaitCondition.newBuilder().setKind(WaitCondition.Kind.ALL)).build());
        assertThat(applied.getVersion()).isEqualTo(1);
        assertThat(applied.getRollout().getAckedList()).containsExactly("node-1");
        assertThat(received).containsExactly("payments@1=limit=1");

        // The HTTP/JSON gateway on the third port serves the same controller, with the same tokens.
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        java.net.http.HttpResponse<String> config = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + httpPort + "/v1/services/payments/config"))
            .header("Authorization", "Bearer " + ADMIN_TOKEN).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).contains("\"version\": \"1\"");
        java.net.http.HttpResponse<String> console = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + httpPort + "/console/")).GET().build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(console.statusCode()).isEqualTo(200);
        assertThat(console.body()).contains("<title>MCP console</title>");

        process.destroy(); // SIGTERM
        SessionClose close = session.closeFuture().get(15, TimeUnit.SECONDS);
        assertThat(close.code()).isEqualTo(CloseCode.GOING_AWAY);
      }
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).isZero();
      List<String> all = Files.readAllLines(output, StandardCharsets.UTF_8);
      assertThat(all).contains("stopped");
      assertThat(all.stream().filter(l -> l.startsWith("listening"))).hasSize(3);
      // the store was closed cleanly and holds the version
      try (SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("controller.db"))) {
        assertThat(store.latest("payments")).map(ConfigVersion::version).contains(1L);
      }
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void badConfiguration_exit2_withEveryProblemOnStderr_andNoSecret() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ControllerCommand command = new ControllerCommand(System.out, new PrintStream(err, true, StandardCharsets.UTF_8),
        () -> io.mcp.config.ConfigLoader.create().environment(java.util.Map.of()).systemProperties(java.util.Map.of()));
    int code = new CommandLine(command).execute("--mcp-port", "70000", "--token", "short", "--data-dir",
        dir.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("controller: error: invalid configuration (2 problems):\n"
        + "  server.port = 70000 (flag --mcp-port): outside 0..65535\n"
        + "  auth.agent-token = *** (flag --token): is 5 bytes; at least 16 required\n");
  }
}
