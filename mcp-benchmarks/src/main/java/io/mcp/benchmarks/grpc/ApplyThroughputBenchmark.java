package io.mcp.benchmarks.grpc;

import io.mcp.benchmarks.Machine;
import io.mcp.benchmarks.Cli;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code ApplyConfiguration} throughput and latency at a fixed concurrency (default 100), through the
 * async stub and the blocking stub, beside a bare grpc-java unary echo of the same request size in
 * the same run (target: MCP at least 0.8× the bare echo's QPS, per stub).
 *
 * <h2>Method</h2>
 *
 * <p>One JVM holds client and server, both on 127.0.0.1 (plaintext). First every stack and stub
 * runs unmeasured for 5 s ({@code --jvm-warmup-seconds}), so the JIT has compiled the shared
 * grpc-java and Netty paths before anything is measured. Then, per round, for each stub in
 * turn (async, then blocking) and each stack in turn (bare, then MCP), a fresh server and client
 * are started and driven by a {@link ClosedLoop}: the async stub keeps {@code concurrency} calls in
 * flight on one channel, each completion starting the next; the blocking stub runs {@code
 * concurrency} threads calling back to back on one channel. After a warm-up (default 3 s) the
 * calls completing in a fixed window (default 10 s) are counted (QPS) and their latencies
 * recorded into an array, sorted for p50 and p99.
 *
 * <ul>
 *   <li>Bare ({@link BareEchoServer}): {@code NettyServerBuilder} defaults, a {@code byte[]}
 *       marshaller, the handler answers with the request's bytes. The message is as long as MCP's
 *       serialized {@code ConfigRequest} (service {@code bench} and a 100-byte config: 109 bytes),
 *       so the echo's response is that long too, while MCP's {@code ConfigResponse} is ~3 bytes.
 *   <li>MCP ({@link McpApplyTarget}): {@code ControlPlaneClient} (bearer token, 30 s deadline,
 *       retry service config) to {@code GrpcControlPlaneServer} with default options (on the
 *       controller's event loops, its interceptors: status, authentication, deadlines, logging)
 *       over a {@code Controller} with an {@code InMemoryConfigStore} and no agents: an apply is
 *       an in-memory append plus a rollout with no targets, all to one service. No {@code
 *       request_id} unless {@code --request-ids} (then a fresh UUID per call, through the
 *       idempotency cache).
 * </ul>
 *
 * <h2>Running</h2>
 *
 * <pre>
 * ./mvnw -q -B -pl mcp-benchmarks -am package -Dmaven.test.skip=true
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.ApplyThroughputBenchmark
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.ApplyThroughputBenchmark \
 *     --request-ids --modes async --seconds 5
 * </pre>
 *
 * <p>A default run takes about 80 s (4 × 6 s JVM warm-up, 4 × 13 s measured). {@code --help} lists the options. The table is
 * printed as Markdown, with the seed's quoted figures beside ours.
 *
 * <h2>Caveats</h2>
 *
 * <ul>
 *   <li>Client and server share the JVM and the machine's cores, so each figure includes the
 *       client's own cost; on 2 cores the client takes about half. Both stacks pay it equally.
 *   <li>The two stacks differ beyond MCP's service logic: MCP's client has a deadline, call
 *       credentials and retry buffering per call, its server runs four interceptors; the bare one
 *       has none. That difference is part of what is measured.
 *   <li>Later runs profit from JIT work of earlier ones (shared grpc-java and Netty code); the
 *       warm-up makes this small, repeat rounds ({@code --rounds}) to see it.
 *   <li>Logging is a no-op (the jar has no SLF4J provider), so the controller's per-apply log line
 *       costs nothing here.
 *   <li>Other load on the machine moves every figure: the load average is printed with the results.
 * </ul>
 *
 * <p>Not thread-safe; run as a program.
 */
public final class ApplyThroughputBenchmark {
  static final double TARGET_RATIO = 0.8;

  private static final String USAGE = String.join("\n",
      "usage: java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.ApplyThroughputBenchmark [options]",
      "  --concurrency C       calls in flight (async) or calling threads (blocking) (default 100)",
      "  --warmup-seconds W    warm-up per run (default 3)",
      "  --seconds S           measuring window per run (default 10)",
      "  --config-bytes B      config_data size (default 100)",
      "  --modes M[,M]         async, blocking (default async,blocking)",
      "  --stacks S[,S]        bare, mcp (default bare,mcp)",
      "  --request-ids         MCP calls carry a fresh request_id (idempotency cache)",
      "  --rounds R            repeat everything R times (default 1)",
      "  --jvm-warmup-seconds J  before the rounds, every stack and stub runs J s unmeasured (default 5; 0: none)");

  private ApplyThroughputBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    int concurrency = 100;
    int warmupSeconds = 3;
    int seconds = 10;
    int configBytes = 100;
    int rounds = 1;
    int jvmWarmupSeconds = 5;
    boolean requestIds = false;
    List<ClosedLoop.Mode> modes = List.of(ClosedLoop.Mode.ASYNC, ClosedLoop.Mode.BLOCKING);
    List<String> stacks = List.of("bare", "mcp");
    try {
      List<String> list = Arrays.asList(args);
      for (int i = 0; i < list.size(); i++) {
        String name = list.get(i);
        switch (name) {
          case "--help", "-h" -> throw new IllegalArgumentException("help");
          case "--request-ids" -> requestIds = true;
          case "--concurrency" -> concurrency = positive(name, value(list, ++i, name));
          case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(value(list, ++i, name));
          case "--seconds" -> seconds = positive(name, value(list, ++i, name));
          case "--config-bytes" -> configBytes = Integer.parseInt(value(list, ++i, name));
          case "--rounds" -> rounds = positive(name, value(list, ++i, name));
          case "--jvm-warmup-seconds" -> jvmWarmupSeconds = Integer.parseInt(value(list, ++i, name));
          case "--modes" -> {
            List<ClosedLoop.Mode> parsed = new ArrayList<>();
            for (String m : value(list, ++i, name).split(",")) {
              parsed.add(ClosedLoop.Mode.valueOf(m.trim().toUpperCase(Locale.ROOT)));
            }
            modes = List.copyOf(parsed);
          }
          case "--stacks" -> stacks = List.of(value(list, ++i, name).split(","));
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
    } catch (IllegalArgumentException e) {
      Cli.exitWithUsage(e, USAGE);
      return;
    }

    byte[] config = new byte[configBytes];
    new Random(42).nextBytes(config);
    byte[] echoMessage = new byte[McpApplyTarget.request(config).getSerializedSize()];
    new Random(7).nextBytes(echoMessage);
    System.out.println(MachineFacts.describe());
    System.out.println(Machine.loadAverage() + " (at start)");
    System.out.println(String.format(Locale.ROOT,
        "concurrency %d, warm-up %d s, window %d s, config %d B (ConfigRequest %d B, echo message %d B), "
            + "request ids %s, rounds %d",
        concurrency, warmupSeconds, seconds, configBytes, echoMessage.length, echoMessage.length,
        requestIds ? "yes (fresh UUID per call)" : "no", rounds));
    int maxSamples = 8_000_000;
    List<ClosedLoop.Result> results = new ArrayList<>();
    if (jvmWarmupSeconds > 0) {
      for (ClosedLoop.Mode mode : modes) {
        for (String stack : stacks) {
          try (UnaryTarget target = target(stack, echoMessage, config, requestIds)) {
            ClosedLoop.Result warm = new ClosedLoop(target, mode, concurrency, Duration.ofSeconds(jvmWarmupSeconds),
                Duration.ofSeconds(1), 100_000).run();
            System.out.println(String.format(Locale.ROOT, "JVM warm-up: %s, %s: %,.0f QPS", warm.target(), mode.label,
                warm.qps()));
          }
        }
      }
    }
    for (int round = 1; round <= rounds; round++) {
      for (ClosedLoop.Mode mode : modes) {
        for (String stack : stacks) {
          UnaryTarget target = target(stack, echoMessage, config, requestIds);
          try (target) {
            ClosedLoop.Result result = new ClosedLoop(target, mode, concurrency, Duration.ofSeconds(warmupSeconds),
                Duration.ofSeconds(seconds), maxSamples).run();
            results.add(result);
            System.out.println(String.format(Locale.ROOT,
                "round %d: %-38s %-13s %,9.0f QPS  p50 %7s ms  p99 %7s ms  failures %d%s  (%s)", round,
                result.target(), mode.label, result.qps(), LatencySamples.millis(result.p50()),
                LatencySamples.millis(result.p99()), result.failures(),
                result.firstFailure() == null ? "" : " first: " + result.firstFailure(), Machine.loadAverage()));
            if (target instanceof McpApplyTarget mcp) {
              System.out.println("         controller's newest version: " + mcp.latestVersion());
            }
          }
        }
      }
    }
    System.out.println();
    System.out.println(Machine.loadAverage() + " (at end)");
    table(results, concurrency).forEach(System.out::println);
    System.exit(0);
  }

  private static UnaryTarget target(String stack, byte[] echoMessage, byte[] config, boolean requestIds) {
    return switch (stack.trim()) {
      case "bare" -> BareEchoServer.start(echoMessage);
      case "mcp" -> McpApplyTarget.start(config, requestIds);
      default -> throw new IllegalArgumentException("unknown stack " + stack);
    };
  }

  /** Results as Markdown, each MCP row with its ratio to the bare row of the same stub and round. */
  static List<String> table(List<ClosedLoop.Result> results, int concurrency) {
    List<String> lines = new ArrayList<>();
    lines.add("| stack | stub | concurrency | QPS | p50 (ms) | p99 (ms) | QPS vs bare | target ≥ " + TARGET_RATIO
        + "× bare |");
    lines.add("|---|---|--:|--:|--:|--:|--:|---|");
    lines.add("| seed (quoted) | blocking | 100 | 2,083 | — | 48 (as quoted) | — | — |");
    lines.add("| seed (quoted) | async | 100 | 4,545 | — | 22 (as quoted) | — | — |");
    ClosedLoop.Result lastBare = null;
    for (ClosedLoop.Result r : results) {
      boolean bare = r.target().startsWith("bare");
      if (bare) {
        lastBare = r;
      }
      double ratio = !bare && lastBare != null && lastBare.mode() == r.mode() ? r.qps() / lastBare.qps() : Double.NaN;
      lines.add(String.format(Locale.ROOT, "| %s | %s | %d | %,.0f | %s | %s | %s | %s |", r.target(),
          r.mode() == ClosedLoop.Mode.ASYNC ? "async" : "blocking", r.concurrency(), r.qps(),
          LatencySamples.millis(r.p50()), LatencySamples.millis(r.p99()),
          Double.isNaN(ratio) ? "—" : String.format(Locale.ROOT, "%.2f×", ratio),
          Double.isNaN(ratio) ? "—" : ratio >= TARGET_RATIO ? "met" : "NOT met"));
    }
    return lines;
  }

  private static String value(List<String> args, int i, String name) {
    if (i >= args.size()) {
      throw new IllegalArgumentException("option " + name + " needs a value");
    }
    return args.get(i);
  }

  private static int positive(String name, String value) {
    int n = Integer.parseInt(value);
    if (n < 1) {
      throw new IllegalArgumentException(name + " " + value + ": expected a positive number");
    }
    return n;
  }
}
