package io.mcp.benchmarks.sessions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of {@link IdleSessionsBenchmark}, parsed. The forked server and client JVMs get
 * the same arguments and parse them again, so every process sees the same settings. Immutable.
 */
final class BenchmarkOptions {
  /** The static token every client presents and the MCP server expects. */
  static final String TOKEN = "idle-sessions-benchmark-token";

  /** The jar has no SLF4J provider; this silences SLF4J's warning about it (logging is a no-op). */
  static final String QUIET_SLF4J = "-Dslf4j.internal.verbosity=ERROR";

  static final String USAGE = String.join("\n",
      "usage: java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.sessions.IdleSessionsBenchmark [options]",
      "  --sessions N            idle sessions (connections) to hold (default 10000)",
      "  --hold-seconds S        how long they are held before the second measurement (default 20)",
      "  --heartbeat-ms MS       MCP server's heartbeat interval; clients take the server default (default 5000)",
      "  --concurrency C         connects/handshakes in flight at once from the client JVM (default 500;",
      "                          above 1000 the MCP server's pending-handshake limit refuses some)",
      "  --client-threads T      event loop threads of the client JVM (default 2)",
      "  --warmup-sessions W     sessions opened and closed before the baseline, in rounds of at most N (default 10000)",
      "  --settle-seconds S      pause after the warm-up, before the baseline (default 10)",
      "  --kinds K[,K]           servers to run, in order: bare, mcp (default bare,mcp)",
      "  --server-heap SIZE      -Xms and -Xmx of the server JVM, heap pre-touched (default 1g)",
      "  --client-heap SIZE      -Xmx of the client JVM (default 1g)",
      "  --server-jvm-arg ARG    one more JVM option for the server JVM (repeatable)",
      "  --histogram             diff jcmd GC.class_histogram baseline -> hold; print top classes per session",
      "  --histogram-top K       classes shown by --histogram (default 25)",
      "  --native-memory         run the server JVM with -XX:NativeMemoryTracking=summary and print the",
      "                          NMT diff baseline -> hold (NMT's own bookkeeping inflates RSS: diagnosis only)",
      "short sanity run: --sessions 1000 --hold-seconds 5");

  final int sessions;
  final Duration hold;
  final Duration heartbeatInterval;
  final int concurrency;
  final int clientThreads;
  final int warmupSessions;
  final Duration settle;
  final List<ServerKind> kinds;
  final String serverHeap;
  final String clientHeap;
  final List<String> serverJvmArgs;
  final boolean histogram;
  final int histogramTop;
  final boolean nativeMemory;
  /** The arguments as given, forwarded to the forked JVMs. */
  final List<String> args;

  private BenchmarkOptions(List<String> args) {
    this.args = List.copyOf(args);
    int sessions = 10_000;
    long holdSeconds = 20;
    long heartbeatMillis = 5_000;
    int concurrency = 500;
    int clientThreads = 2;
    int warmupSessions = 10_000;
    long settleSeconds = 10;
    List<ServerKind> kinds = List.of(ServerKind.BARE, ServerKind.MCP);
    String serverHeap = "1g";
    String clientHeap = "1g";
    List<String> serverJvmArgs = new ArrayList<>();
    boolean histogram = false;
    int histogramTop = 25;
    boolean nativeMemory = false;
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      if (name.equals("--histogram")) {
        histogram = true;
        continue;
      }
      if (name.equals("--native-memory")) {
        nativeMemory = true;
        continue;
      }
      if (name.equals("--help") || name.equals("-h")) {
        throw new IllegalArgumentException("help");
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        value = args.get(++i);
      }
      switch (name) {
        case "--sessions":
          sessions = intValue(name, value, 1, 1_000_000);
          break;
        case "--hold-seconds":
          holdSeconds = intValue(name, value, 0, 86_400);
          break;
        case "--heartbeat-ms":
          heartbeatMillis = intValue(name, value, 1_000, 60_000);
          break;
        case "--concurrency":
          concurrency = intValue(name, value, 1, 100_000);
          break;
        case "--client-threads":
          clientThreads = intValue(name, value, 1, 64);
          break;
        case "--warmup-sessions":
          warmupSessions = intValue(name, value, 0, 1_000_000);
          break;
        case "--settle-seconds":
          settleSeconds = intValue(name, value, 0, 3_600);
          break;
        case "--kinds":
          kinds = new ArrayList<>();
          for (String label : value.split(",")) {
            kinds.add(ServerKind.parse(label.trim()));
          }
          kinds = List.copyOf(kinds);
          break;
        case "--server-heap":
          serverHeap = value;
          break;
        case "--client-heap":
          clientHeap = value;
          break;
        case "--server-jvm-arg":
          serverJvmArgs.add(value);
          break;
        case "--histogram-top":
          histogramTop = intValue(name, value, 1, 1_000);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + name);
      }
    }
    this.sessions = sessions;
    this.hold = Duration.ofSeconds(holdSeconds);
    this.heartbeatInterval = Duration.ofMillis(heartbeatMillis);
    this.concurrency = concurrency;
    this.clientThreads = clientThreads;
    this.warmupSessions = warmupSessions;
    this.settle = Duration.ofSeconds(settleSeconds);
    this.kinds = kinds;
    this.serverHeap = serverHeap;
    this.clientHeap = clientHeap;
    this.serverJvmArgs = List.copyOf(serverJvmArgs);
    this.histogram = histogram;
    this.histogramTop = histogramTop;
    this.nativeMemory = nativeMemory;
  }

  /**
   * Parses {@code args}.
   *
   * @throws IllegalArgumentException naming the bad option; with message {@code help} for --help
   */
  static BenchmarkOptions parse(List<String> args) {
    return new BenchmarkOptions(args);
  }

  private static int intValue(String name, String value, int min, int max) {
    int parsed;
    try {
      parsed = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option " + name + " value " + value + " is not an integer");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException("option " + name + " value " + parsed + " is outside " + min + ".." + max);
    }
    return parsed;
  }

  /** The JVM options of the server JVM: fixed pre-touched heap, G1, no leak detection, then the extras. */
  List<String> serverJvmOptions() {
    List<String> jvm = new ArrayList<>(List.of("-Xms" + serverHeap, "-Xmx" + serverHeap, "-XX:+AlwaysPreTouch",
        "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=disabled", QUIET_SLF4J));
    if (nativeMemory) {
      jvm.add("-XX:NativeMemoryTracking=summary");
    }
    jvm.addAll(serverJvmArgs);
    return jvm;
  }

  /** The JVM options of the client JVM. */
  List<String> clientJvmOptions() {
    return List.of("-Xmx" + clientHeap, "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=disabled", QUIET_SLF4J);
  }
}
