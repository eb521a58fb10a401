package io.mcp.benchmarks.controlplane;

import io.mcp.benchmarks.Machine;
import io.mcp.benchmarks.Cli;
import io.mcp.benchmarks.ForkedJvm;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.FleetEvent;
import io.mcp.core.LoadShedding;
import io.mcp.core.ServerOptions;
import io.mcp.core.Subscription;
import io.mcp.core.auth.Authenticators;
import io.mcp.store.etcd.EtcdConfigStore;
import io.mcp.store.etcd.EtcdStoreOptions;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Fan-out across controller replicas sharing an etcd store: the time from {@link Controller#apply}
 * on one replica to the last ACK of N agents spread over R replicas, against the same fan-out from
 * one replica on the same etcd.
 *
 * <h2>Method</h2>
 *
 * <p>An etcd member is started on loopback with a temporary data directory (or {@code --etcd URL}
 * is used). For each replica count R (default 1 then 3), this JVM starts R {@link Controller}s, each
 * with its own {@link EtcdConfigStore} on a fresh key prefix, load shedding off, and subscribes to
 * the APPLIED events of each; an agent JVM ({@link AgentFleetProcess}) starts N agents, agent
 * {@code i} listing the replicas from number {@code i mod R}, so each replica holds N / R of them.
 * Once every agent is connected, each round applies ~1 KiB on replica 0 and waits for N APPLIED
 * events across all replicas (events carry the ACK-processing time on the replica's clock, the same
 * JVM). "apply → last ACK" is the latest event minus the time just before {@code apply}; it includes
 * the etcd commit of the version, the watch delivery to the other replicas, their pushes, the
 * agents' ACKs and each ACK's ledger write to etcd. The agent JVM confirms the applied count.
 *
 * <h2>Running</h2>
 *
 * <pre>
 * ./mvnw -q -B -pl mcp-benchmarks -am package -DskipTests
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.ReplicaFanoutBenchmark \
 *     --agents 3000 --replicas 1,3
 * </pre>
 *
 * <p>{@code --help} lists the options; the exit code is 1 if any round failed. Not thread-safe; run
 * as a program.
 */
public final class ReplicaFanoutBenchmark {
  static final String TOKEN = "replica-fanout-token";
  static final String SERVICE = "fanout";

  private static final String USAGE = String.join("\n",
      "usage: java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.ReplicaFanoutBenchmark "
          + "[options]",
      "  --agents N               agents (default 3000)",
      "  --replicas R[,R]         replica counts, each a fresh run (default 1,3)",
      "  --rounds K               measured applies (default 5)",
      "  --warmup W               applies before measuring (default 2)",
      "  --payload-bytes B        configuration size (default 1024)",
      "  --pause-ms MS            pause between applies (default 1000)",
      "  --timeout-seconds S      wait for the last ACK (default 60)",
      "  --etcd URL[,URL]         use this etcd instead of starting one",
      "  --agent-heap SIZE        -Xmx of the agent JVM (default 1g)");

  private ReplicaFanoutBenchmark() {}

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
    EtcdServer etcd = null;
    List<URI> endpoints = options.etcd;
    if (endpoints.isEmpty()) {
      etcd = EtcdServer.start();
      endpoints = List.of(etcd.clientUrl());
      System.out.println("etcd started at " + etcd.clientUrl() + " (pid " + etcd.pid() + ")");
    }
    boolean failed = false;
    List<String> summary = new ArrayList<>();
    summary.add("| replicas | agents | agents per replica | rounds ok | apply() median (ms) | apply → last ACK, median "
        + "(ms) | worst (ms) | per-agent p50, median (ms) | per-agent p99, median (ms) |");
    summary.add("|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    try {
      for (int replicas : options.replicas) {
        List<Round> rounds = run(replicas, endpoints, options);
        boolean ok = rounds.size() == options.rounds && rounds.stream().allMatch(Round::ok);
        failed |= !ok;
        summary.add(summaryRow(replicas, rounds, options));
      }
    } finally {
      if (etcd != null) {
        etcd.close();
      }
    }
    System.out.println();
    System.out.println(Machine.loadAverage() + " (at end)");
    summary.forEach(System.out::println);
    System.exit(failed ? 1 : 0);
  }

  private static List<Round> run(int replicaCount, List<URI> endpoints, Options options) throws Exception {
    System.out.println();
    System.out.println("== " + replicaCount + " replica(s), " + options.agents + " agents ==");
    String prefix = "/bench/" + UUID.randomUUID();
    List<EtcdConfigStore> stores = new ArrayList<>();
    List<Controller> controllers = new ArrayList<>();
    List<Subscription> subscriptions = new ArrayList<>();
    EventTimes applied = new EventTimes(options.agents); // APPLIED times from every replica
    List<Round> rounds = new ArrayList<>();
    try {
      for (int r = 0; r < replicaCount; r++) {
        EtcdConfigStore store = EtcdConfigStore.open(EtcdStoreOptions.builder(endpoints).keyPrefix(prefix)
            .replicaId("replica-" + r).build());
        stores.add(store);
        Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder()
                .host("127.0.0.1").port(0).authenticator(Authenticators.staticToken(TOKEN))
                .maxConnections(options.agents + 1_000).build(), store)
            .subscriberBufferSize(Math.max(1_024, 4 * options.agents))
            .loadShedding(LoadShedding.disabled())
            .build()).start();
        controllers.add(controller);
        subscriptions.add(controller.subscribe(applied::add,
            e -> e.type() == FleetEvent.Type.APPLIED && SERVICE.equals(e.service())));
      }
      String ports = controllers.stream().map(c -> Integer.toString(c.port())).collect(Collectors.joining(","));
      List<String> args = List.of(ports, Integer.toString(options.agents), "500", "2", "4", TOKEN, SERVICE);
      List<String> jvm = List.of("-Xmx" + options.agentHeap, "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=disabled",
          "-Dslf4j.internal.verbosity=ERROR");
      try (ForkedJvm fleet = ForkedJvm.start("agents", jvm, AgentFleetProcess.class, args)) {
        System.out.println("agent JVM (pid " + fleet.pid() + "): " + fleet.expect("connected ", Duration.ofMinutes(5)));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        List<Long> perReplica = localCounts(controllers);
        while (perReplica.stream().mapToLong(Long::longValue).sum() < options.agents && System.nanoTime() < deadline) {
          Thread.sleep(200);
          perReplica = localCounts(controllers);
        }
        System.out.println("agents per replica: " + perReplica);
        if (perReplica.stream().mapToLong(Long::longValue).sum() < options.agents) {
          System.out.println("FAILED: not every agent connected");
          return rounds;
        }
        byte[] payload = new byte[options.payloadBytes];
        Random random = new Random(42);
        for (int i = 0; i < options.warmup + options.rounds; i++) {
          Thread.sleep(options.pause.toMillis());
          random.nextBytes(payload);
          Round round = round(controllers.get(0), fleet, applied, payload, options);
          System.out.println((i < options.warmup ? "warm-up " : "round ") + round.describe());
          if (i >= options.warmup) {
            rounds.add(round);
          }
        }
        fleet.send("status");
        System.out.println("agent JVM: " + fleet.expect("status ", Duration.ofSeconds(30)));
      }
    } finally {
      subscriptions.forEach(Subscription::close);
      for (Controller controller : controllers) {
        controller.shutdown(Duration.ofSeconds(5)).get(30, TimeUnit.SECONDS);
      }
      stores.forEach(EtcdConfigStore::close);
    }
    return rounds;
  }

  /** Agents connected to each replica itself (not those it sees through the fleet presence). */
  private static List<Long> localCounts(List<Controller> controllers) {
    List<Long> out = new ArrayList<>();
    for (Controller controller : controllers) {
      out.add(controller.nodes().stream().filter(n -> n.connected() && !n.sessionId().isEmpty()).count());
    }
    return out;
  }

  private static Round round(Controller controller, ForkedJvm fleet, EventTimes applied, byte[] payload, Options options)
      throws InterruptedException {
    Instant t0 = Clock.systemUTC().instant();
    long start = System.nanoTime();
    long version = controller.apply(SERVICE, payload);
    long applyMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
    EventTimes.Collector collector = applied.collector(version);
    collector.await(options.agents, options.timeout);
    fleet.send("applied " + version);
    String reply = fleet.expect("applied ", Duration.ofSeconds(60));
    int agentsApplied = Integer.parseInt(reply.substring("applied n=".length()).trim());
    long[] delays = collector.delaysMicros(EventTimes.micros(t0));
    return new Round(version, options.agents, applyMicros, LatencySummary.of(delays, delays.length), agentsApplied);
  }

  private static String summaryRow(int replicas, List<Round> rounds, Options options) {
    int perReplica = (int) Math.ceil((double) options.agents / replicas);
    if (rounds.isEmpty()) {
      return String.format(Locale.ROOT, "| %d | %,d | %,d | 0/%d | n/a | n/a | n/a | n/a | n/a |", replicas,
          options.agents, perReplica, options.rounds);
    }
    long[] apply = rounds.stream().mapToLong(r -> r.applyMicros).toArray();
    long[] last = rounds.stream().mapToLong(r -> r.delays.maxMicros()).toArray();
    long[] p50 = rounds.stream().mapToLong(r -> r.delays.percentileMicros(50)).toArray();
    long[] p99 = rounds.stream().mapToLong(r -> r.delays.percentileMicros(99)).toArray();
    LatencySummary lastSummary = LatencySummary.of(last, last.length);
    return String.format(Locale.ROOT, "| %d | %,d | %,d | %d/%d | %s | %s | %s | %s | %s |", replicas, options.agents,
        perReplica, rounds.stream().filter(Round::ok).count(), options.rounds,
        LatencySummary.millis(LatencySummary.of(apply, apply.length).percentileMicros(50)),
        LatencySummary.millis(lastSummary.percentileMicros(50)), LatencySummary.millis(lastSummary.maxMicros()),
        LatencySummary.millis(LatencySummary.of(p50, p50.length).percentileMicros(50)),
        LatencySummary.millis(LatencySummary.of(p99, p99.length).percentileMicros(50)));
  }

  private record Round(long version, int agents, long applyMicros, LatencySummary delays, int agentsApplied) {
    boolean ok() {
      return delays.count() == agents && agentsApplied == agents;
    }

    String describe() {
      return String.format(Locale.ROOT, "v%d: apply() %s ms, last ACK %s ms, per-agent p50 %s / p99 %s ms, "
              + "ACK events %d, agents applied %d%s", version, LatencySummary.millis(applyMicros),
          LatencySummary.millis(delays.maxMicros()), LatencySummary.millis(delays.percentileMicros(50)),
          LatencySummary.millis(delays.percentileMicros(99)), delays.count(), agentsApplied, ok() ? "" : " FAILED");
    }
  }

  private static final class Options {
    int agents = 3_000;
    List<Integer> replicas = List.of(1, 3);
    int rounds = 5;
    int warmup = 2;
    int payloadBytes = 1024;
    Duration pause = Duration.ofSeconds(1);
    Duration timeout = Duration.ofSeconds(60);
    List<URI> etcd = List.of();
    String agentHeap = "1g";

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
          case "--agents" -> agents = positive(name, value);
          case "--replicas" -> {
            List<Integer> counts = new ArrayList<>();
            for (String n : value.split(",")) {
              counts.add(positive(name, n));
            }
            replicas = List.copyOf(counts);
          }
          case "--rounds" -> rounds = positive(name, value);
          case "--warmup" -> warmup = nonNegative(name, value);
          case "--payload-bytes" -> payloadBytes = positive(name, value);
          case "--pause-ms" -> pause = Duration.ofMillis(nonNegative(name, value));
          case "--timeout-seconds" -> timeout = Duration.ofSeconds(positive(name, value));
          case "--etcd" -> etcd = Arrays.stream(value.split(",")).map(URI::create).collect(Collectors.toList());
          case "--agent-heap" -> agentHeap = value;
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
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
