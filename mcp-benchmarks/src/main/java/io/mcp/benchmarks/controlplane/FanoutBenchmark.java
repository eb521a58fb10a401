package io.mcp.benchmarks.controlplane;

import io.mcp.benchmarks.Machine;
import io.mcp.benchmarks.Cli;
import io.mcp.benchmarks.ForkedJvm;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.FleetEvent;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.core.ServerOptions;
import io.mcp.core.Subscription;
import io.mcp.core.auth.Authenticators;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fan-out: the time from {@link Controller#apply} to the last agent's ACK, for thousands of agents
 * on one controller, with each agent's delay (target: 10,000 agents all acknowledged within 1 s).
 *
 * <h2>Method</h2>
 *
 * <p>For each agent count (default 1,000 then 10,000) this JVM starts a {@link Controller} with an
 * {@link InMemoryConfigStore}, a static-token authenticator and default options (all-at-once
 * rollouts, fan-out batches of 512) on 127.0.0.1 and an ephemeral port, subscribes to its fleet
 * events (with a subscriber buffer large enough that none is coalesced), and forks an <em>agent
 * JVM</em> ({@link AgentFleetProcess}) that starts N {@link io.mcp.core.Agent}s of one service. The
 * agents share one event loop group (2 threads) and one handler executor (4 threads); each has its
 * own node id and a listener that only counts. At most 500 agents are connecting at once.
 *
 * <p>Once {@link Controller#nodes()} shows all N connected, the driver applies a ~1 KiB
 * configuration 3 times as warm-up, then measures 5 rounds, 1 s apart. A round:
 *
 * <ol>
 *   <li>{@code t0} = {@code Clock.systemUTC().instant()} (and {@code System.nanoTime()}) just before
 *       {@code controller.apply(service, payload)};
 *   <li>{@code controller.awaitRollout(service, version, RolloutCondition.all(), 60 s)}; its return
 *       is "apply → all acked";
 *   <li>every {@link FleetEvent.Type#APPLIED} event of the version gives one agent's delay: its
 *       {@code time()} (the controller's clock when it processed the ACK, microsecond resolution)
 *       minus {@code t0}; the largest is "apply → last ACK". p50, p99 and max are over the N agents;
 *   <li>the agent JVM is asked how many agents applied the version, as a cross-check.
 * </ol>
 *
 * <p>A round fails if the rollout is not satisfied, an agent timed out or rejected, an APPLIED
 * event is missing, or the agent JVM counts fewer than N. {@code --wait events} skips {@code
 * awaitRollout} and waits for the N APPLIED events instead, which shows what the rollout waiter
 * itself costs the controller.
 *
 * <h2>Running</h2>
 *
 * <pre>
 * ./mvnw -q -B -pl mcp-benchmarks -am package -DskipTests
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.FanoutBenchmark --agents 10000
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.FanoutBenchmark \
 *     --agents 1000,10000 --rounds 5
 * </pre>
 *
 * <p>{@code --help} lists the options. A 10,000-agent run takes about a minute when rounds finish
 * in about a second; every round that runs into the 60 s timeout adds a minute (with the waiter
 * cost described in docs/BENCHMARKS.md, {@code --warmup 1 --rounds 2} keeps such a run within four
 * minutes). Tables are printed as Markdown; the exit code is 1 if any round failed.
 *
 * <h2>Caveats</h2>
 *
 * <ul>
 *   <li>The controller, the 10,000 agents and their kernel sockets share the machine's cores, so
 *       every figure includes the agents' own work (decode, listener, ACK) competing with the
 *       controller's; on a 2-core machine this is a floor on what a controller alone would do.
 *       Other load on the machine moves the figures: record {@code uptime} with them.
 *   <li>Heartbeats (5 s) and the agents' periodic status reports (10 s) keep flowing during a
 *       round, as they would in production.
 *   <li>Event times are wall-clock ({@code Clock.systemUTC}); a clock step during a round would
 *       distort the per-agent delays, not the "apply → all acked" figure (monotonic).
 *   <li>Logging is a no-op (the jar has no SLF4J provider): the controller's per-apply and the
 *       agents' per-update log lines cost nothing here.
 * </ul>
 *
 * <p>Not thread-safe; run as a program.
 */
public final class FanoutBenchmark {
  static final String TOKEN = "fanout-benchmark-token";
  static final String SERVICE = "fanout";
  static final Duration TARGET = Duration.ofSeconds(1);
  static final int TARGET_AGENTS = 10_000;

  private static final String USAGE = String.join("\n",
      "usage: java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.FanoutBenchmark [options]",
      "  --agents N[,N]           agent counts, each with a fresh controller and agent JVM (default 1000,10000)",
      "  --rounds R               measured applies per agent count (default 5)",
      "  --warmup W               applies before measuring (default 3)",
      "  --payload-bytes B        configuration size (default 1024)",
      "  --pause-ms MS            pause between applies (default 1000)",
      "  --timeout-seconds S      awaitRollout timeout (default 60)",
      "  --wait await|events      round completion: awaitRollout (default) or the N APPLIED events only",
      "  --concurrency C          agents connecting at once (default 500)",
      "  --agent-threads T        event loop threads shared by the agents (default 2)",
      "  --agent-handler-threads H  handler executor threads shared by the agents (default 4)",
      "  --agent-heap SIZE        -Xmx of the agent JVM (default 2g)",
      "  --agent-jvm-arg ARG      one more JVM option for the agent JVM (repeatable)");

  private FanoutBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    Options options;
    try {
      options = new Options(Arrays.asList(args));
    } catch (IllegalArgumentException e) {
      Cli.exitWithUsage(e, USAGE);
      return;
    }
    System.out.println(Machine.describe());
    System.out.println(Machine.loadAverage() + " (at start)");
    System.out.println(String.format(Locale.ROOT,
        "payload %d B, warm-up %d, rounds %d, pause %d ms, wait %s, agent JVM: %d event loop threads, %d handler "
            + "threads, %d connecting at once, %s",
        options.payloadBytes, options.warmup, options.rounds, options.pause.toMillis(), options.wait,
        options.agentThreads, options.agentHandlerThreads, options.concurrency, String.join(" ",
            options.agentJvmOptions())));
    boolean failed = false;
    List<String> summary = new ArrayList<>();
    summary.add("| agents | rounds ok | apply → all acked, median (ms) | worst (ms) | per-agent p50, median of rounds "
        + "(ms) | per-agent p99, median (ms) | last ACK, worst (ms) | timed out | target ≤ 1 s at 10,000 |");
    summary.add("|--:|--:|--:|--:|--:|--:|--:|--:|---|");
    for (int agents : options.agents) {
      List<Round> rounds = run(agents, options);
      boolean ok = rounds.size() == options.rounds && rounds.stream().allMatch(Round::ok);
      failed |= !ok;
      summary.add(summaryRow(agents, rounds, options));
    }
    System.out.println();
    System.out.println(Machine.loadAverage() + " (at end)");
    summary.forEach(System.out::println);
    System.exit(failed ? 1 : 0);
  }

  /** One agent count: controller, agent JVM, warm-up, rounds; prints the rounds' table. */
  private static List<Round> run(int agents, Options options) throws InterruptedException {
    System.out.println();
    System.out.println("== " + agents + " agents ==");
    List<Round> rounds = new ArrayList<>();
    ServerOptions server = ServerOptions.builder()
        .host("127.0.0.1")
        .port(0)
        .authenticator(Authenticators.staticToken(TOKEN))
        .maxConnections(agents + 1_000)
        .build();
    Controller controller = Controller.create(ControllerOptions.builder(server, new InMemoryConfigStore())
        .subscriberBufferSize(Math.max(1_024, 4 * agents))
        .build()).start();
    Events events = new Events(agents);
    Subscription subscription = controller.subscribe(events::onEvent,
        e -> e.type() == FleetEvent.Type.LAGGED || (e.type() == FleetEvent.Type.APPLIED && SERVICE.equals(e.service())));
    List<String> args = List.of(Integer.toString(controller.port()), Integer.toString(agents),
        Integer.toString(options.concurrency), Integer.toString(options.agentThreads),
        Integer.toString(options.agentHandlerThreads), TOKEN, SERVICE);
    try (ForkedJvm fleet = ForkedJvm.start("agents", options.agentJvmOptions(), AgentFleetProcess.class, args)) {
      String connectedLine = fleet.expect("connected ", Duration.ofMinutes(6));
      System.out.println("agent JVM (pid " + fleet.pid() + "): " + connectedLine);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      int connected = 0;
      while (System.nanoTime() < deadline) {
        connected = (int) controller.nodes().stream().filter(NodeView::connected).count();
        if (connected >= agents) {
          break;
        }
        Thread.sleep(200);
      }
      System.out.println("controller sees " + connected + " connected node(s)");
      if (connected < agents) {
        System.out.println("FAILED: only " + connected + " of " + agents + " agents connected");
        return rounds;
      }
      byte[] payload = new byte[options.payloadBytes];
      Random random = new Random(42);
      for (int i = 0; i < options.warmup + options.rounds; i++) {
        Thread.sleep(options.pause.toMillis());
        random.nextBytes(payload);
        Round round = round(controller, fleet, events, payload, agents, options);
        System.out.println((i < options.warmup ? "warm-up " : "round ") + round.describe());
        if (i >= options.warmup) {
          rounds.add(round);
        }
      }
      fleet.send("status");
      System.out.println("agent JVM: " + fleet.expect("status ", Duration.ofSeconds(30)));
      System.out.println("events LAGGED: " + events.lagged.get());
    } catch (RuntimeException e) {
      System.out.println("FAILED: " + e);
    } finally {
      subscription.close();
      controller.shutdown(Duration.ofSeconds(5));
    }
    System.out.println();
    System.out.println("| round | apply() (ms) | apply → all acked (ms) | apply → last ACK event (ms) | per-agent p50 (ms) "
        + "| per-agent p99 (ms) | acked | timed out | rejected | ok |");
    System.out.println("|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
    for (int i = 0; i < rounds.size(); i++) {
      System.out.println(rounds.get(i).row(i + 1));
    }
    return rounds;
  }

  private static Round round(Controller controller, ForkedJvm fleet, Events events, byte[] payload, int agents,
      Options options) throws InterruptedException {
    Clock clock = Clock.systemUTC();
    Instant t0 = clock.instant();
    long start = System.nanoTime();
    long version = controller.apply(SERVICE, payload);
    long applied = System.nanoTime();
    EventTimes.Collector collector = events.collector(version);
    RolloutResult result = null;
    if (options.wait == Wait.AWAIT) {
      result = controller.awaitRollout(SERVICE, version, RolloutCondition.all(), options.timeout);
    } else {
      collector.await(agents, options.timeout);
    }
    long done = System.nanoTime();
    int expected = result == null ? agents : result.acked().size();
    collector.await(expected, Duration.ofSeconds(10));
    fleet.send("applied " + version);
    String reply = fleet.expect("applied ", Duration.ofSeconds(60));
    int agentsApplied = Integer.parseInt(reply.substring("applied n=".length()).trim());
    long t0Micros = EventTimes.micros(t0);
    long[] delays = collector.delaysMicros(t0Micros);
    return new Round(version, agents, TimeUnit.NANOSECONDS.toMicros(applied - start),
        TimeUnit.NANOSECONDS.toMicros(done - start), LatencySummary.of(delays, delays.length),
        result == null ? delays.length : result.acked().size(),
        result == null ? agents - delays.length : result.timedOut().size(),
        result == null ? 0 : result.rejected().size(), result == null || result.satisfied(), agentsApplied);
  }


  private static String summaryRow(int agents, List<Round> rounds, Options options) {
    if (rounds.isEmpty()) {
      return String.format(Locale.ROOT, "| %,d | 0/%d | n/a | n/a | n/a | n/a | n/a | n/a | %s |", agents,
          options.rounds, agents >= TARGET_AGENTS ? "NOT met" : "—");
    }
    long[] all = rounds.stream().mapToLong(r -> r.allAckedMicros).toArray();
    long[] p50 = rounds.stream().mapToLong(r -> r.delays.percentileMicros(50)).toArray();
    long[] p99 = rounds.stream().mapToLong(r -> r.delays.percentileMicros(99)).toArray();
    long worstMax = rounds.stream().mapToLong(r -> r.delays.maxMicros()).max().orElse(-1);
    long timedOut = rounds.stream().mapToLong(r -> r.timedOut).sum();
    long ok = rounds.stream().filter(Round::ok).count();
    LatencySummary allSummary = LatencySummary.of(all, all.length);
    String target = agents < TARGET_AGENTS ? "—"
        : ok == options.rounds && allSummary.maxMicros() <= TARGET.toNanos() / 1_000 ? "met (every round)"
        : allSummary.percentileMicros(50) <= TARGET.toNanos() / 1_000 ? "met by the median, not every round"
        : "NOT met";
    return String.format(Locale.ROOT, "| %,d | %d/%d | %s | %s | %s | %s | %s | %d | %s |", agents, ok, options.rounds,
        LatencySummary.millis(allSummary.percentileMicros(50)), LatencySummary.millis(allSummary.maxMicros()),
        LatencySummary.millis(LatencySummary.of(p50, p50.length).percentileMicros(50)),
        LatencySummary.millis(LatencySummary.of(p99, p99.length).percentileMicros(50)),
        LatencySummary.millis(worstMax), timedOut, target);
  }

  /** One measured apply. */
  private record Round(long version, int agents, long applyMicros, long allAckedMicros, LatencySummary delays,
      int acked, int timedOut, int rejected, boolean satisfied, int agentsApplied) {
    boolean ok() {
      return satisfied && timedOut == 0 && rejected == 0 && acked == agents && delays.count() == agents
          && agentsApplied == agents;
    }

    String describe() {
      return String.format(Locale.ROOT,
          "v%d: apply() %s ms, all acked %s ms, last ACK event %s ms, per-agent p50 %s / p99 %s ms, acked %d, "
              + "timed out %d, rejected %d, events %d, agents applied %d%s",
          version, LatencySummary.millis(applyMicros), LatencySummary.millis(allAckedMicros),
          LatencySummary.millis(delays.maxMicros()), LatencySummary.millis(delays.percentileMicros(50)),
          LatencySummary.millis(delays.percentileMicros(99)), acked, timedOut, rejected, delays.count(),
          agentsApplied, ok() ? "" : " FAILED");
    }

    String row(int index) {
      return String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %,d | %d | %d | %s |", index,
          LatencySummary.millis(applyMicros), LatencySummary.millis(allAckedMicros),
          LatencySummary.millis(delays.maxMicros()), LatencySummary.millis(delays.percentileMicros(50)),
          LatencySummary.millis(delays.percentileMicros(99)), acked,
          timedOut, rejected, ok() ? "yes" : "NO");
    }
  }

  /** The APPLIED events of the benchmark's service, by version. Fed on the subscription's thread. */
  private static final class Events {
    final EventTimes times;
    final AtomicLong lagged = new AtomicLong();

    Events(int capacity) {
      this.times = new EventTimes(capacity);
    }

    void onEvent(FleetEvent event) {
      if (event.type() == FleetEvent.Type.LAGGED) {
        lagged.incrementAndGet();
        return;
      }
      times.add(event);
    }

    EventTimes.Collector collector(long version) {
      return times.collector(version);
    }
  }

  private enum Wait {
    AWAIT,
    EVENTS
  }

  /** The command line, parsed. */
  private static final class Options {
    List<Integer> agents = List.of(1_000, 10_000);
    int rounds = 5;
    int warmup = 3;
    int payloadBytes = 1024;
    Duration pause = Duration.ofSeconds(1);
    Duration timeout = Duration.ofSeconds(60);
    Wait wait = Wait.AWAIT;
    int concurrency = 500;
    int agentThreads = 2;
    int agentHandlerThreads = 4;
    String agentHeap = "2g";
    List<String> agentJvmArgs = new ArrayList<>();

    Options(List<String> args) {
      for (int i = 0; i < args.size(); i++) {
        String name = args.get(i);
        if (name.equals("--help") || name.equals("-h")) {
          throw new IllegalArgumentException("help");
        }
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        String value = args.get(++i);
        switch (name) {
          case "--agents" -> {
            List<Integer> counts = new ArrayList<>();
            for (String n : value.split(",")) {
              counts.add(positive(name, n));
            }
            agents = List.copyOf(counts);
          }
          case "--rounds" -> rounds = positive(name, value);
          case "--warmup" -> warmup = nonNegative(name, value);
          case "--payload-bytes" -> payloadBytes = positive(name, value);
          case "--pause-ms" -> pause = Duration.ofMillis(nonNegative(name, value));
          case "--timeout-seconds" -> timeout = Duration.ofSeconds(positive(name, value));
          case "--wait" -> wait = switch (value) {
            case "await" -> Wait.AWAIT;
            case "events" -> Wait.EVENTS;
            default -> throw new IllegalArgumentException("--wait " + value + ": expected await or events");
          };
          case "--concurrency" -> concurrency = positive(name, value);
          case "--agent-threads" -> agentThreads = positive(name, value);
          case "--agent-handler-threads" -> agentHandlerThreads = positive(name, value);
          case "--agent-heap" -> agentHeap = value;
          case "--agent-jvm-arg" -> agentJvmArgs.add(value);
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
    }

    List<String> agentJvmOptions() {
      List<String> out = new ArrayList<>(List.of("-Xmx" + agentHeap, "-XX:+UseG1GC",
          "-Dio.netty.leakDetection.level=disabled", "-Dslf4j.internal.verbosity=ERROR"));
      out.addAll(agentJvmArgs);
      return out;
    }

    private static int positive(String name, String value) {
      int n = nonNegative(name, value);
      if (n == 0) {
        throw new IllegalArgumentException(name + " " + value + ": expected a positive number");
      }
      return n;
    }

    private static int nonNegative(String name, String value) {
      try {
        int n = Integer.parseInt(value.replace("_", ""));
        if (n < 0) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " " + value + ": expected a non-negative number");
      }
    }
  }
}
