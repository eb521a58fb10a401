package io.mcp.it;

import static io.mcp.it.Fleet.awaitOrFail;
import static io.mcp.it.Fleet.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.FleetEvent;
import io.mcp.core.NettyLeakCheck;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.Session;
import io.mcp.core.Subscription;
import io.mcp.store.sqlite.SqliteConfigStore;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.ResourceLeakDetector;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak: a controller on a SQLite store under a churning fleet for {@code -Dmcp.soak.minutes}
 * (default 30; fractions allowed). Runs only with {@code -Psoak}:
 *
 * <pre>
 *   ./mvnw -B verify -pl mcp-it -am -Psoak -Dmcp.soak.minutes=30
 * </pre>
 *
 * <p>Every second a new version of one of two services is applied; every 250 ms an agent is started,
 * stopped gracefully, or crashed (its connection reset with an RST, then abandoned); every two
 * seconds a fleet-event subscriber comes or goes. Churning agents reuse a pool of node ids, as
 * restarted hosts do. At the end every live agent must have the latest version of its service, the
 * heap after GC and the thread count must be flat between the first and the last sample (taken
 * with the same number of live agents), and Netty (PARANOID) must have reported no leak.
 */
@Tag("soak")
class SoakTest {
  static final double MINUTES = Double.parseDouble(System.getProperty("mcp.soak.minutes", "30"));
  static final String[] SERVICES = {"alpha", "beta"};
  static final int STABLE = 10;
  static final int CHURN_POOL = 40;
  static final int CHURN_BASELINE = 20;
  /** Heap growth allowed between the first and last sample: GC noise, not a trend. */
  static final long HEAP_SLACK_BYTES = 16L * 1024 * 1024;
  static final int THREAD_SLACK = 4;
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  final Random random = new Random(20261126);
  final Map<String, Long> latest = new HashMap<>();
  final List<Fleet.Recorder> everyRecorder = new ArrayList<>();
  /** Agents stopped or crashed, with when: once closed, nothing may keep them reachable. */
  final List<Closed> closed = new ArrayList<>();

  record Closed(long atNanos, String nodeId, WeakReference<Agent> agent) {}

  record Live(String nodeId, String service, Agent agent, Fleet.Recorder recorder) {}

  record Sample(double minute, long heapBytes, int threads, long directBytes, int liveAgents, int nodes) {
    @Override
    public String toString() {
      return String.format("t=%.1f min heap=%.1f MiB threads=%d direct=%.1f MiB liveAgents=%d nodes=%d",
          minute, heapBytes / 1048576.0, threads, directBytes / 1048576.0, liveAgents, nodes);
    }
  }

  @Test
  void churnApplySubscribe_forTheConfiguredMinutes_convergesWithoutGrowth() throws Exception {
    assertThat(ResourceLeakDetector.getLevel()).as("run with -Dio.netty.leakDetection.level=paranoid")
        .isEqualTo(ResourceLeakDetector.Level.PARANOID);
    NettyLeakCheck.install();
    try (SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("soak.db"));
        Fleet fleet = new Fleet(store, 2, b -> b)) {
      fleet.startController();
      try (FaultProxy proxy = FaultProxy.start(fleet.controllerAddress())) {
        run(fleet, proxy);
      }
    }
    List<String> leaks = NettyLeakCheck.collect();
    assertThat(leaks).as("Netty leak reports").isEmpty();
  }

  void run(Fleet fleet, FaultProxy proxy) throws Exception {
    List<Live> stable = new ArrayList<>();
    List<Live> churn = new ArrayList<>();
    ArrayDeque<String> freeIds = new ArrayDeque<>();
    for (int i = 0; i < CHURN_POOL; i++) {
      freeIds.add(String.format("churn-%02d", i));
    }
    for (int i = 0; i < STABLE; i++) {
      stable.add(start(fleet, proxy, String.format("stable-%02d", i), SERVICES[i % SERVICES.length]));
    }
    for (String service : SERVICES) {
      applyNext(fleet, service, 2_048);
    }
    while (churn.size() < CHURN_BASELINE) {
      churn.add(start(fleet, proxy, freeIds.poll(), SERVICES[churn.size() % SERVICES.length]));
    }
    ArrayDeque<Subscription> subscriptions = new ArrayDeque<>();
    AtomicLong events = new AtomicLong();

    long startNanos = System.nanoTime();
    long endNanos = startNanos + (long) (MINUTES * 60e9);
    long sampleEveryNanos = Math.max(TimeUnit.SECONDS.toNanos(10), (endNanos - startNanos) / 10);
    long nextApply = startNanos;
    long nextChurn = startNanos;
    long nextSubscriber = startNanos;
    long nextSample = startNanos + sampleEveryNanos;
    int crashes = 0;
    int stops = 0;
    int starts = 0;
    int applies = 0;
    // The baseline is taken after a warm-up (pools and caches fill lazily): 30 s or a tenth of the run.
    long warmupEnd = startNanos + Math.max(TimeUnit.SECONDS.toNanos(30), (endNanos - startNanos) / 10);
    Sample baseline = null;

    while (System.nanoTime() < endNanos) {
      long now = System.nanoTime();
      if (now >= nextApply) {
        applyNext(fleet, SERVICES[applies % SERVICES.length], 512 + random.nextInt(8 * 1024));
        applies++;
        nextApply += TimeUnit.SECONDS.toNanos(1);
      }
      if (now >= nextChurn) {
        int action = random.nextInt(3);
        if ((action == 0 || churn.size() < CHURN_BASELINE / 2) && !freeIds.isEmpty()) {
          churn.add(start(fleet, proxy, freeIds.poll(), SERVICES[random.nextInt(SERVICES.length)]));
          starts++;
        } else if (!churn.isEmpty()) {
          Live victim = churn.remove(random.nextInt(churn.size()));
          if (action == 1) {
            victim.agent.close();
            stops++;
          } else {
            crash(fleet, proxy, victim);
            crashes++;
          }
          fleet.agents.remove(victim.agent);
          freeIds.add(victim.nodeId);
          closed(victim);
        }
        nextChurn += TimeUnit.MILLISECONDS.toNanos(250);
      }
      if (now >= nextSubscriber) {
        if (subscriptions.size() < 3 || random.nextBoolean()) {
          subscriptions.add(fleet.controller.subscribe(e -> events.incrementAndGet(),
              e -> e.type() != FleetEvent.Type.LAGGED));
        } else {
          subscriptions.poll().close();
        }
        nextSubscriber += TimeUnit.SECONDS.toNanos(2);
      }
      if (baseline == null && now >= warmupEnd) {
        baseline = sample(fleet, churn, stable, startNanos, CHURN_BASELINE, freeIds, proxy);
        System.out.println("soak baseline: " + baseline);
      }
      if (now >= nextSample) {
        System.out.println("soak sample: " + sampleAt(fleet, churn, stable, startNanos));
        nextSample += sampleEveryNanos;
      }
      long sleep = Math.min(Math.min(nextApply, nextChurn), Math.min(nextSubscriber, nextSample)) - System.nanoTime();
      if (sleep > 0) {
        TimeUnit.NANOSECONDS.sleep(Math.min(sleep, TimeUnit.MILLISECONDS.toNanos(250)));
      }
    }
    for (Subscription s : subscriptions) {
      s.close();
    }
    assertThat(fleet.controller.subscriptionCount()).isZero();

    // Settle: the same number of live agents as at the first sample, a last version of each service.
    for (String service : SERVICES) {
      applyNext(fleet, service, 2_048);
    }
    Sample last = sample(fleet, churn, stable, startNanos, CHURN_BASELINE, freeIds, proxy);
    assertThat(baseline).as("the run outlasted its warm-up").isNotNull();

    List<Live> live = new ArrayList<>(stable);
    live.addAll(churn);
    boolean converged = Fleet.await(() -> live.stream()
        .allMatch(l -> l.agent.appliedVersion(l.service).orElse(0) == latest.get(l.service)), WAIT);
    if (!converged) {
      StringBuilder why = new StringBuilder();
      for (Live l : live) {
        long applied = l.agent.appliedVersion(l.service).orElse(0);
        if (applied != latest.get(l.service)) {
          why.append(String.format("%n  %s (%s): applied %d, latest %d, agent session %s, controller view %s",
              l.nodeId, l.service, applied, latest.get(l.service), l.agent.session().map(Session::id),
              fleet.controller.nodes().stream().filter(n -> n.nodeId().equals(l.nodeId)).findFirst()));
        }
      }
      throw new AssertionError("not every live agent converged:" + why);
    }
    System.out.printf("soak: %.1f min, %d applies, %d agent starts, %d graceful stops, %d crashes, %d fleet events "
        + "delivered; baseline %s; last %s%n", MINUTES, applies, starts, stops, crashes, events.get(), baseline,
        last);
    for (Fleet.Recorder r : everyRecorder) {
      assertThat(r.violations).isEmpty();
    }
    Sample first = baseline;
    assertThat(last.heapBytes).as("heap after GC: first %s, last %s", first, last)
        .isLessThanOrEqualTo(first.heapBytes + HEAP_SLACK_BYTES);
    assertThat(last.threads).as("threads: first %s, last %s", first, last)
        .isLessThanOrEqualTo(first.threads + THREAD_SLACK);
    // A closed agent may wait in a pending reconnect task for up to the maximum backoff (30 s); one
    // closed a minute before the end must be gone.
    long settledBefore = System.nanoTime() - TimeUnit.SECONDS.toNanos(60);
    List<String> retained = closed.stream().filter(c -> c.atNanos < settledBefore && c.agent.get() != null)
        .map(Closed::nodeId).toList();
    long checked = closed.stream().filter(c -> c.atNanos < settledBefore).count();
    System.out.printf("soak: %d closed agents checked, %d still reachable%n", checked, retained.size());
    assertThat(checked).as("closed agents to check").isPositive();
    assertThat(retained).as("closed agents still reachable after GC").isEmpty();
    for (Live l : live) {
      l.agent.close();
    }
  }

  /** Applies the next version of {@code service} (versions are per service) and remembers it. */
  void applyNext(Fleet fleet, String service, int size) {
    long next = latest.getOrDefault(service, 0L) + 1;
    long v = fleet.controller.apply(service, config(next, size));
    assertThat(v).isEqualTo(next);
    latest.put(service, v);
  }

  Live start(Fleet fleet, FaultProxy proxy, String nodeId, String service) {
    Fleet.Recorder recorder = new Fleet.Recorder();
    everyRecorder.add(recorder);
    if (everyRecorder.size() > 2_000) {
      everyRecorder.remove(0); // keep the check bounded; a violation fails fast through the listener's NACK anyway
    }
    Agent agent = fleet.agent(nodeId, service, recorder, ReconnectPolicy.defaults(), proxy.address());
    return new Live(nodeId, service, agent, recorder);
  }

  void closed(Live l) {
    closed.add(new Closed(System.nanoTime(), l.nodeId, new WeakReference<>(l.agent)));
    if (closed.size() > 5_000) {
      closed.remove(0);
    }
  }

  /** An RST on the agent's connection, then the agent is abandoned (closed without a session left to close). */
  static void crash(Fleet fleet, FaultProxy proxy, Live victim) {
    Optional<Session> onController = fleet.controller.server().sessions().stream()
        .filter(s -> s.nodeId().equals(victim.nodeId)).findFirst();
    onController.ifPresent(s -> proxy.reset(s.remoteAddress()));
    victim.agent.close();
  }

  /** Brings the churn set to {@code target} agents, waits until they are connected, then samples. */
  Sample sample(Fleet fleet, List<Live> churn, List<Live> stable, long startNanos, int target,
      ArrayDeque<String> freeIds, FaultProxy proxy) throws InterruptedException {
    while (churn.size() > target) {
      Live l = churn.remove(churn.size() - 1);
      l.agent.close();
      fleet.agents.remove(l.agent);
      freeIds.add(l.nodeId);
      closed(l);
    }
    while (churn.size() < target) {
      churn.add(start(fleet, proxy, freeIds.poll(), SERVICES[churn.size() % SERVICES.length]));
    }
    int expected = stable.size() + churn.size();
    awaitOrFail(expected + " agents connected", () -> fleet.connectedNodes() == expected
        && fleet.controller.server().sessions().size() == expected, WAIT);
    return sampleAt(fleet, churn, stable, startNanos);
  }

  static Sample sampleAt(Fleet fleet, List<Live> churn, List<Live> stable, long startNanos) {
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    int threads = ManagementFactory.getThreadMXBean().getThreadCount();
    // The allocator the sessions use (McpServer and McpClient take Netty's default, adaptive in 4.2).
    long direct = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
    double minute = (System.nanoTime() - startNanos) / 60e9;
    return new Sample(minute, heap, threads, direct, churn.size() + stable.size(), fleet.controller.nodes().size());
  }
}
