package io.mcp.benchmarks.sessions;

import io.mcp.benchmarks.Machine;
import io.mcp.benchmarks.ForkedJvm;

import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Holds N idle MCP/1 sessions with heartbeats (default 10,000) and reports heap and RSS per session
 * and the handshake rate, beside a bare Netty server holding the same number of TCP connections in
 * the same run.
 *
 * <h2>Method</h2>
 *
 * <p>This JVM only coordinates. For each server kind in turn (default {@code bare}, then {@code
 * mcp}) it forks a fresh <em>server JVM</em> ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch
 * -XX:+UseG1GC -Dio.netty.leakDetection.level=disabled}), which starts the server under test on
 * 127.0.0.1 and an ephemeral port and forks a <em>client JVM</em> (server and clients each need N
 * file descriptors, so they cannot share one process). Then, in the server JVM:
 *
 * <ol>
 *   <li>Warm-up: the client opens and closes 10,000 sessions, in rounds of at most N, then the
 *       server JVM waits 10 s, so that class loading, most JIT compilation (and the compiler's
 *       scratch memory) and the Netty allocator's arenas and thread caches land before the
 *       baseline rather than in the per-session figures.
 *   <li>Baseline: the live heap after a full GC (as the collector reports it right after {@code
 *       System.gc()}, repeated until stable; see {@link MemoryProbe}), then {@code VmRSS} after
 *       {@code jcmd System.trim_native_heap}.
 *   <li>Connect: the client opens N sessions with at most 500 connects and handshakes in flight, on
 *       2 event loop threads. The handshake rate is the server's view: sessions READY divided by
 *       the time from the first accept to the last READY.
 *   <li>Hold: 20 s, at least two heartbeat intervals (the MCP server's interval is set to 5 s and
 *       clients take it), so pings and pongs flow and a broken heartbeat would show up as idle
 *       timeouts (3 intervals).
 *   <li>Measure again; per session = (held − baseline) / N. Every session must still be READY on
 *       both ends, with no close during the hold; the run also counts the server sessions that
 *       have measured a heartbeat round trip.
 * </ol>
 *
 * <p>The MCP server is an {@link io.mcp.core.McpServer} with {@code Authenticators.staticToken},
 * its own event loops (Netty's default count, 2 × cores) and default options but the heartbeat
 * interval (and a connection limit of at least N). Each client session has its own node id. The
 * bare server ({@link BareNettyServer}) has the same transport, thread count and channel options
 * and one shared handler that only counts connections.
 *
 * <h2>Running</h2>
 *
 * <pre>
 * ./mvnw -q -B -pl mcp-benchmarks -am package -DskipTests
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.sessions.IdleSessionsBenchmark --sessions 10000
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.sessions.IdleSessionsBenchmark \
 *     --sessions 1000 --hold-seconds 5      # a short sanity run
 * </pre>
 *
 * <p>A 10,000-session run takes about two and a half minutes. {@code --help} lists the options; {@code
 * --histogram} adds, per kind, the classes whose live instances grew most from baseline to hold,
 * per session ({@code jcmd GC.class_histogram}); {@code --native-memory} adds the JVM's native
 * memory tracking diff. The table is printed as Markdown; the exit code is 1 if a kind failed or
 * lost sessions.
 *
 * <h2>Caveats</h2>
 *
 * <ul>
 *   <li>The heap is pre-touched, so it is resident from the start and the RSS growth is the memory
 *       <em>outside</em> the Java heap (direct buffers, malloc, thread stacks, metaspace and code
 *       cache growth). Without pre-touching, RSS growth would mostly measure how much of the heap
 *       the young generation happened to touch while connecting. A session costs heap + RSS growth.
 *   <li>RSS moves by a few MB between readings for reasons no session owns (JIT compilation after
 *       the warm-up, the JVM's arena pool, the allocator's chunks), about ±0.3 KiB per session at
 *       10,000 sessions; small N magnifies that, so use 10,000 for numbers and small runs only as a
 *       check. The heap figure is stable to the byte between runs.
 *   <li>Netty's allocator is left at its default: in Netty 4.2 the adaptive pooled allocator with
 *       direct buffers, its chunks kept once allocated. Kernel socket buffers are not in RSS and
 *       are not counted.
 *   <li>A bare connection never reads a byte, so it never creates Netty's receive-buffer sizing
 *       state (about 130 bytes per channel); an MCP session has read its Hello and pongs and has.
 *       That part of the difference is Netty's, not MCP's.
 *   <li>Client and server share the machine's cores, so the handshake rate is a floor set by both
 *       and by the client's concurrency limit, not the server's capacity alone; it moves with any
 *       other load on the machine.
 *   <li>The benchmark's session listener adds one reference per MCP session; the bare server's
 *       counter adds nothing per connection.
 * </ul>
 *
 * <p>Not thread-safe; run as a program.
 */
public final class IdleSessionsBenchmark {
  /** The target: an idle MCP session's heap at most this many times a bare connection's. */
  static final double TARGET_HEAP_RATIO = 2.5;

  private IdleSessionsBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    BenchmarkOptions options;
    try {
      options = BenchmarkOptions.parse(Arrays.asList(args));
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().equals("help")) {
        System.err.println(e.getMessage());
      }
      System.err.println(BenchmarkOptions.USAGE);
      System.exit(e.getMessage().equals("help") ? 0 : 2);
      return;
    }
    System.out.println(machine());
    System.out.println("server JVM: " + String.join(" ", options.serverJvmOptions()) + "; client JVM: "
        + String.join(" ", options.clientJvmOptions()));
    System.out.println(String.format(Locale.ROOT,
        "sessions %d, hold %d s, MCP heartbeat %d ms, %d in flight, %d client threads, warm-up %d sessions",
        options.sessions, options.hold.toSeconds(), options.heartbeatInterval.toMillis(), options.concurrency,
        options.clientThreads, options.warmupSessions));
    System.out.println();

    List<RunResult> results = new ArrayList<>();
    boolean failed = false;
    for (ServerKind kind : options.kinds) {
      RunResult result = runServerJvm(kind, options);
      if (result == null || !result.allHeld()) {
        failed = true;
      }
      if (result != null) {
        results.add(result);
      }
    }
    System.out.println();
    table(results).forEach(System.out::println);
    System.out.println();
    for (RunResult r : results) {
      System.out.println(details(r));
    }
    System.exit(failed ? 1 : 0);
  }

  private static RunResult runServerJvm(ServerKind kind, BenchmarkOptions options) throws InterruptedException {
    List<String> args = new ArrayList<>();
    args.add(kind.label());
    args.addAll(options.args);
    try (ForkedJvm server = ForkedJvm.start(kind.label() + " server", options.serverJvmOptions(),
        ServerProcess.class, args)) {
      Duration timeout = options.hold.plus(Duration.ofMinutes(30));
      return RunResult.decode(server.expect(RunResult.PREFIX, timeout, System.out::println));
    } catch (IllegalStateException e) {
      System.err.println(kind.label() + " run failed: " + e.getMessage());
      return null;
    }
  }

  /** The results as a Markdown table, with the heap ratio against the bare server's. */
  static List<String> table(List<RunResult> results) {
    double bareHeap = Double.NaN;
    for (RunResult r : results) {
      if (r.kind() == ServerKind.BARE) {
        bareHeap = r.heapBytesPerSession();
      }
    }
    List<String> lines = new ArrayList<>();
    lines.add("| server | sessions | handshakes/s (server side) | heap/session (KiB) | RSS/session, off-heap (KiB) "
        + "| heap + off-heap (KiB) | heap vs bare | target ≤ " + TARGET_HEAP_RATIO + "× bare heap | all held |");
    lines.add("|---|--:|--:|--:|--:|--:|--:|---|---|");
    for (RunResult r : results) {
      double heap = r.heapBytesPerSession() / 1024;
      double rss = r.rssBytesPerSession() / 1024;
      double ratio = r.heapBytesPerSession() / bareHeap;
      String target = r.kind() == ServerKind.BARE || Double.isNaN(ratio) ? "—"
          : ratio <= TARGET_HEAP_RATIO ? "met" : "NOT met";
      lines.add(String.format(Locale.ROOT, "| %s | %,d | %,.0f | %.2f | %s | %s | %s | %s | %s |",
          r.kind().label(), r.sessions(), r.handshakesPerSecond(), heap,
          Double.isNaN(rss) ? "n/a" : String.format(Locale.ROOT, "%.2f", rss),
          Double.isNaN(rss) ? "n/a" : String.format(Locale.ROOT, "%.2f", heap + rss),
          Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2f×", ratio), target,
          r.allHeld() ? "yes" : "NO"));
    }
    return lines;
  }

  private static String details(RunResult r) {
    return String.format(Locale.ROOT,
        "%s: heap %.1f -> %.1f MiB, RSS %.1f -> %.1f MiB (anonymous RSS %+.2f KiB/session); server: %,d READY %d ms after the first accept; "
            + "client: connected in %,d ms, %d failed; after hold: %,d READY, %d closed, heartbeat RTT on %s, "
            + "client sees %,d open",
        r.kind().label(), r.heapBaselineBytes() / 1048576.0, r.heapHeldBytes() / 1048576.0,
        r.rssBaselineBytes() / 1048576.0, r.rssHeldBytes() / 1048576.0, r.rssAnonBytesPerSession() / 1024,
        r.readyAfterConnect(),
        r.acceptToLastReadyNanos() / 1_000_000, r.clientConnectMillis(), r.clientFailures(), r.readyAtEnd(),
        r.closedDuringHold(), r.sessionsWithRtt() < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", r.sessionsWithRtt()),
        r.clientOpenAtEnd());
  }

  private static String machine() {
    String cpu = Machine.cpuModel();
    return String.format(Locale.ROOT, "machine: %d cores (%s), %s %s (%s), Netty transport %s, default allocator %s",
        Runtime.getRuntime().availableProcessors(), cpu, System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"), System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        NettyTransport.name(), ByteBufAllocator.DEFAULT.getClass().getSimpleName());
  }
}
