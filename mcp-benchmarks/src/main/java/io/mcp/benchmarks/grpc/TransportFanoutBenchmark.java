package io.mcp.benchmarks.grpc;

import io.mcp.benchmarks.Machine;
import io.mcp.benchmarks.Cli;
import io.mcp.benchmarks.ForkedJvm;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.Authenticators;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Fan-out to agents over gRPC ({@code ControlPlane/Connect}) against agents over MCP/1 TCP: the time
 * from {@link Controller#apply} to {@code awaitRollout(all)} returning, for 1,000 agents (default).
 *
 * <h2>Method</h2>
 *
 * <p>For each transport in turn (default {@code tcp}, then {@code grpc}) this JVM starts a fresh
 * {@link Controller} ({@link InMemoryConfigStore}, static-token authenticator, default options) with
 * a {@link GrpcControlPlaneServer} (default options but {@code maxConcurrentCallsPerConnection} of
 * at least agents + 100, on the controller's event loops), both on 127.0.0.1, and forks an agent
 * JVM ({@link AgentFleet}, {@code -Xmx2g}) that starts N agents of one service, sharing one event
 * loop group (2 threads) and one handler pool (4 threads), at most 500 connecting at once. TCP
 * agents dial the MCP port; gRPC agents dial the gRPC port through {@code GrpcAgentTransport},
 * by default one transport (one HTTP/2 connection) per agent, like one TCP connection per agent;
 * {@code --grpc-connections 1} multiplexes all agents on one connection.
 *
 * <p>Once the controller sees all N connected (and, for gRPC, with transport {@code grpc}), it
 * applies a 1 KiB configuration 3 times as warm-up, then measures 5 rounds, 0.5 s apart: {@code
 * System.nanoTime()} before {@code controller.apply}, after it, and when {@code
 * awaitRollout(service, version, all, 60 s)} returns. A round fails unless the rollout is
 * satisfied with N acks and the agent JVM counts N agents at the version.
 *
 * <h2>Running</h2>
 *
 * <pre>
 * ./mvnw -q -B -pl mcp-benchmarks -am package -Dmaven.test.skip=true
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.TransportFanoutBenchmark
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.TransportFanoutBenchmark \
 *     --agents 1000 --transports grpc --grpc-connections 1
 * </pre>
 *
 * <p>A default run takes about a minute. {@code --help} lists the options.
 *
 * <h2>Caveats</h2>
 *
 * <ul>
 *   <li>Controller and agent JVMs share the machine's cores: agents' decode and ACK work competes
 *       with the controller's, and more so over gRPC, where each agent session also runs an in-VM
 *       relay hop and HTTP/2 framing on both sides.
 *   <li>Over gRPC every agent's {@code McpClient} creates its own one-thread local event loop
 *       group for the relay hop (it cannot use the shared TCP group), and every {@code
 *       GrpcAgentTransport} another: about two threads per agent, which the TCP fleet does not
 *       have. The agent JVM prints its thread count.
 *   <li>Heartbeats (5 s) and periodic status reports (10 s) keep flowing during rounds.
 *   <li>Logging is a no-op (the jar has no SLF4J provider).
 * </ul>
 *
 * <p>Not thread-safe; run as a program.
 */
public final class TransportFanoutBenchmark {
  static final String TOKEN = "grpc-fanout-token";
  static final String SERVICE = "fanout";

  private static final String USAGE = String.join("\n",
      "usage: java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.TransportFanoutBenchmark [options]",
      "  --agents N             agents (default 1000)",
      "  --transports T[,T]     tcp, grpc (default tcp,grpc)",
      "  --grpc-connections C   GrpcAgentTransports (HTTP/2 connections) the gRPC agents share (default: one per agent)",
      "  --rounds R             measured applies (default 5)",
      "  --warmup W             applies before measuring (default 3)",
      "  --payload-bytes B      configuration size (default 1024)",
      "  --pause-ms MS          pause between applies (default 500)");

  private TransportFanoutBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    int agents = 1000;
    List<String> transports = List.of("tcp", "grpc");
    int grpcConnections = -1;
    int rounds = 5;
    int warmup = 3;
    int payloadBytes = 1024;
    int pauseMillis = 500;
    try {
      List<String> list = Arrays.asList(args);
      for (int i = 0; i < list.size(); i++) {
        String name = list.get(i);
        if (name.equals("--help") || name.equals("-h")) {
          throw new IllegalArgumentException("help");
        }
        if (i + 1 >= list.size()) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        String value = list.get(++i);
        switch (name) {
          case "--agents" -> agents = Integer.parseInt(value);
          case "--transports" -> transports = List.of(value.split(","));
          case "--grpc-connections" -> grpcConnections = Integer.parseInt(value);
          case "--rounds" -> rounds = Integer.parseInt(value);
          case "--warmup" -> warmup = Integer.parseInt(value);
          case "--payload-bytes" -> payloadBytes = Integer.parseInt(value);
          case "--pause-ms" -> pauseMillis = Integer.parseInt(value);
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
    } catch (IllegalArgumentException e) {
      Cli.exitWithUsage(e, USAGE);
      return;
    }
    if (grpcConnections < 1) {
      grpcConnections = agents;
    }
    System.out.println(MachineFacts.describe());
    System.out.println(Machine.loadAverage() + " (at start)");
    System.out.println(String.format(Locale.ROOT,
        "agents %d, payload %d B, warm-up %d, rounds %d, pause %d ms, gRPC connections %d", agents, payloadBytes,
        warmup, rounds, pauseMillis, grpcConnections));
    List<String> rows = new ArrayList<>();
    boolean failed = false;
    for (String transport : transports) {
      List<long[]> measured = run(transport.trim(), agents, grpcConnections, rounds, warmup, payloadBytes, pauseMillis);
      if (measured.size() < rounds) {
        failed = true;
      }
      long[] all = measured.stream().mapToLong(r -> r[1]).sorted().toArray();
      long[] apply = measured.stream().mapToLong(r -> r[0]).sorted().toArray();
      rows.add(String.format(Locale.ROOT, "| %s | %,d | %d/%d | %s | %s | %s | %s |", transport.trim(), agents,
          measured.size(), rounds, LatencySamples.millis(LatencySamples.percentile(apply, 50)),
          LatencySamples.millis(LatencySamples.percentile(all, 50)),
          LatencySamples.millis(all.length == 0 ? -1 : all[0]),
          LatencySamples.millis(all.length == 0 ? -1 : all[all.length - 1])));
    }
    System.out.println();
    System.out.println(Machine.loadAverage() + " (at end)");
    System.out.println("| agent transport | agents | rounds ok | apply() median (ms) | apply → all acked, median (ms) "
        + "| best (ms) | worst (ms) |");
    System.out.println("|---|--:|--:|--:|--:|--:|--:|");
    rows.forEach(System.out::println);
    System.exit(failed ? 1 : 0);
  }

  /** One transport: returns {apply() nanos, apply → all acked nanos} per good round. */
  private static List<long[]> run(String transport, int agents, int grpcConnections, int rounds, int warmup,
      int payloadBytes, int pauseMillis) throws InterruptedException {
    System.out.println();
    System.out.println("== " + transport + ", " + agents + " agents ==");
    List<long[]> out = new ArrayList<>();
    ServerOptions server = ServerOptions.builder().host("127.0.0.1").port(0)
        .authenticator(Authenticators.staticToken(TOKEN))
        .maxConnections(agents + 1_000)
        .build();
    Controller controller = Controller.create(ControllerOptions.builder(server, new InMemoryConfigStore()).build())
        .start();
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1")
        .maxConcurrentCallsPerConnection(Math.max(1_000, agents + 100))
        .build()).start();
    int port = transport.equals("grpc") ? grpc.port() : controller.port();
    List<String> jvm = List.of("-Xmx2g", "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=disabled",
        "-Dslf4j.internal.verbosity=ERROR");
    List<String> args = List.of(transport, Integer.toString(port), Integer.toString(agents), "500", "2", "4", TOKEN,
        SERVICE, Integer.toString(grpcConnections));
    try (ForkedJvm fleet = ForkedJvm.start("agents", jvm, AgentFleet.class, args)) {
      System.out.println("agent JVM (pid " + fleet.pid() + "): " + fleet.expect("connected ", Duration.ofMinutes(6)));
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      long connected = 0;
      while (System.nanoTime() < deadline) {
        connected = controller.nodes().stream().filter(NodeView::connected)
            .filter(n -> n.transport().equals(transport)).count();
        if (connected >= agents) {
          break;
        }
        Thread.sleep(200);
      }
      System.out.println("controller sees " + connected + " node(s) connected over " + transport);
      if (connected < agents) {
        return out;
      }
      byte[] payload = new byte[payloadBytes];
      Random random = new Random(42);
      for (int i = 0; i < warmup + rounds; i++) {
        Thread.sleep(pauseMillis);
        random.nextBytes(payload);
        long start = System.nanoTime();
        long version = controller.apply(SERVICE, payload);
        long applied = System.nanoTime();
        RolloutResult result = controller.awaitRollout(SERVICE, version, RolloutCondition.all(), Duration.ofSeconds(60));
        long done = System.nanoTime();
        fleet.send("applied " + version);
        int agentsApplied = Integer.parseInt(fleet.expect("applied ", Duration.ofSeconds(60))
            .substring("applied n=".length()).trim());
        boolean ok = result.satisfied() && result.acked().size() == agents && agentsApplied == agents;
        System.out.println(String.format(Locale.ROOT,
            "%s v%d: apply() %s ms, apply → all acked %s ms, acked %d, timed out %d, rejected %d, agents at version %d%s",
            i < warmup ? "warm-up" : "round  ", version, LatencySamples.millis(applied - start),
            LatencySamples.millis(done - start), result.acked().size(), result.timedOut().size(),
            result.rejected().size(), agentsApplied, ok ? "" : "  FAILED"));
        if (i >= warmup && ok) {
          out.add(new long[] {applied - start, done - start});
        }
      }
      fleet.send("status");
      System.out.println("agent JVM: " + fleet.expect("status ", Duration.ofSeconds(30)));
    } catch (RuntimeException e) {
      System.out.println("FAILED: " + e);
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
      controller.close();
    }
    return out;
  }
}
