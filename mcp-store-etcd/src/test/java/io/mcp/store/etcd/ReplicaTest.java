package io.mcp.store.etcd;

import static io.mcp.store.etcd.Fixtures.address;
import static io.mcp.store.etcd.Fixtures.agent;
import static io.mcp.store.etcd.Fixtures.assertIncreasing;
import static io.mcp.store.etcd.Fixtures.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.Controller;
import io.mcp.core.LoadShedding;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.store.etcd.Fixtures.Recorder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two or three controller replicas on one real etcd: each replica is a {@link Controller} with its
 * own {@link EtcdConfigStore} (in this JVM, or in a child JVM that is SIGKILLed), agents connect
 * over TCP on 127.0.0.1.
 */
class ReplicaTest {
  static EtcdCluster etcd;
  private static final AtomicInteger prefixes = new AtomicInteger();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private String prefix;

  @BeforeAll
  static void startEtcd() throws Exception {
    etcd = EtcdCluster.start(1);
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.close();
    }
  }

  @org.junit.jupiter.api.BeforeEach
  void newPrefix() {
    prefix = "/replicas/" + prefixes.incrementAndGet();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private EtcdConfigStore store(String replicaId) {
    EtcdConfigStore store = EtcdConfigStore.open(Fixtures.storeOptions(etcd.endpoints(), prefix, replicaId).build());
    closeables.add(store);
    return store;
  }

  private Controller replica(String replicaId) {
    Controller controller = Fixtures.controller(store(replicaId), LoadShedding.disabled());
    closeables.add(controller);
    return controller;
  }

  private Agent agent(String nodeId, io.mcp.core.ConfigListener recorder, Controller... endpoints) {
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (Controller c : endpoints) {
      addresses.add(address(c.port()));
    }
    Agent agent = Fixtures.agent(nodeId, recorder, addresses);
    closeables.add(agent);
    return agent;
  }

  static byte[] text(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void applyOnA_reachesAgentsOfBAndC_andEveryReplicaListsTheWholeFleet() throws Exception {
    Controller a = replica("a");
    Controller b = replica("b");
    Controller c = replica("c");
    Recorder onB = new Recorder();
    Recorder onC = new Recorder();
    Agent agentB = agent("node-b", onB, b);
    Agent agentC = agent("node-c", onC, c);
    await("agents connected", () -> agentB.session().isPresent() && agentC.session().isPresent());

    long version = a.apply("payments", text("limits: 10"));

    assertThat(agentB.awaitApplied("payments", version, Fixtures.WAIT)).isTrue();
    assertThat(agentC.awaitApplied("payments", version, Fixtures.WAIT)).isTrue();
    assertThat(onB.applied).containsExactly("payments@1=limits: 10");
    assertThat(onC.applied).containsExactly("payments@1=limits: 10");
    await("A lists both nodes as connected with version 1", () -> a.nodes().stream()
        .filter(n -> n.connected() && n.appliedVersion("payments") == 1).count() == 2);
    List<NodeView> fromA = a.nodes();
    assertThat(fromA).extracting(NodeView::nodeId).containsExactly("node-b", "node-c");
    assertThat(b.nodes()).extracting(NodeView::nodeId).containsExactly("node-b", "node-c");
    assertThat(b.nodes().get(0).sessionId()).as("B holds node-b's session").isNotEmpty();
    assertThat(b.nodes().get(1).sessionId()).as("node-c is on C").isEmpty();
  }

  @Test
  void awaitRolloutOnA_countsTheAnswersOfAgentsOnBAndC() throws Exception {
    Controller a = replica("a");
    Controller b = replica("b");
    Controller c = replica("c");
    Agent agentA = agent("node-a", new Recorder(), a);
    Agent agentB = agent("node-b", new Recorder(), b);
    Agent agentC = agent("node-c", (service, version, config) -> {
      throw new IllegalArgumentException("node-c refuses " + service + "@" + version);
    }, c);
    await("agents connected", () -> agentA.session().isPresent() && agentB.session().isPresent()
        && agentC.session().isPresent());
    await("A sees the whole fleet", () -> a.nodes().size() == 3);

    long version = a.apply("payments", text("limits: 10"));
    RolloutResult result = a.awaitRollout("payments", version, RolloutCondition.all(), Duration.ofSeconds(30));

    assertThat(result.acked()).containsExactly("node-a", "node-b");
    assertThat(result.rejected()).containsOnlyKeys("node-c");
    assertThat(result.rejected().get("node-c")).contains("node-c refuses payments@1");
    assertThat(result.timedOut()).isEmpty();
    assertThat(result.satisfied()).isFalse();
    // Two of three acknowledged: 60 % holds, asked on B, which holds one of them itself.
    RolloutResult fromB = b.awaitRollout("payments", version, RolloutCondition.percent(60), Duration.ofSeconds(30));
    assertThat(fromB.satisfied()).isTrue();
    assertThat(fromB.acked()).containsExactly("node-a", "node-b");
  }

  @Test
  void nodeConnectsToAndLeavesB_reportedAsEventsOnA() throws Exception {
    Controller a = replica("a");
    Controller b = replica("b");
    List<io.mcp.core.FleetEvent> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    closeables.add(a.subscribe(seen::add));

    Agent agent = agent("node-b", new Recorder(), b);
    await("A told that node-b connected to b", () -> seen.stream().anyMatch(e ->
        e.type() == io.mcp.core.FleetEvent.Type.CONNECTED && e.nodeId().equals("node-b")));
    agent.close();
    await("A told that node-b left b", () -> seen.stream().anyMatch(e ->
        e.type() == io.mcp.core.FleetEvent.Type.DISCONNECTED && e.nodeId().equals("node-b")));

    io.mcp.core.FleetEvent connected = seen.get(0);
    assertThat(connected.detail()).isEqualTo("replica b");
    assertThat(connected.node().services()).containsExactly("payments");
    assertThat(seen.stream().filter(e -> e.type() == io.mcp.core.FleetEvent.Type.DISCONNECTED).findFirst()
        .orElseThrow().node().connected()).isFalse();
  }

  @Test
  void concurrentAppliesOnAAndB_distinctMonotonicVersions_agentsConvergeOnTheNewest() throws Exception {
    Controller a = replica("a");
    Controller b = replica("b");
    Recorder onA = new Recorder();
    Recorder onB = new Recorder();
    Agent agentA = agent("node-a", onA, a);
    Agent agentB = agent("node-b", onB, b);
    await("agents connected", () -> agentA.session().isPresent() && agentB.session().isPresent());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Long> all = Collections.synchronizedList(new ArrayList<>());
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (Controller replica : List.of(a, b)) {
        runs.add(pool.submit(() -> {
          long previous = 0;
          for (int i = 0; i < 15; i++) {
            long v = replica.apply("payments", text("from " + replica.port() + " #" + i));
            assertThat(v).isGreaterThan(previous);
            previous = v;
            all.add(v);
          }
          return null;
        }));
      }
      for (Future<?> run : runs) {
        run.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    List<Long> sorted = all.stream().sorted().collect(Collectors.toList());
    assertThat(sorted).as("30 distinct versions").containsExactlyElementsOf(
        java.util.stream.LongStream.rangeClosed(1, 30).boxed().collect(Collectors.toList()));
    assertThat(agentA.awaitApplied("payments", 30, Fixtures.WAIT)).isTrue();
    assertThat(agentB.awaitApplied("payments", 30, Fixtures.WAIT)).isTrue();
    assertIncreasing(onA, "payments");
    assertIncreasing(onB, "payments");
    String newest = new String(a.config("payments").orElseThrow().dataBytes(), UTF_8);
    assertThat(onA.applied.get(onA.applied.size() - 1)).isEqualTo("payments@30=" + newest);
    assertThat(onB.applied.get(onB.applied.size() - 1)).isEqualTo("payments@30=" + newest);
  }

  @Test
  void replicaKilled_itsAgentsFailOverAndConverge_itsPresenceExpires() throws Exception {
    Controller a = replica("a");
    Controller c = replica("c");
    a.apply("payments", text("v1"));
    Process child = startChildReplica("b");
    int childPort;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
      childPort = readPort(child, out);
      List<InetSocketAddress> endpoints = List.of(address(childPort), address(a.port()), address(c.port()));
      List<Agent> agents = new ArrayList<>();
      List<Recorder> recorders = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Recorder r = new Recorder();
        Agent agent = Fixtures.agent("node-" + i, r, endpoints);
        closeables.add(agent);
        agents.add(agent);
        recorders.add(r);
      }
      for (Agent agent : agents) {
        assertThat(agent.awaitApplied("payments", 1, Fixtures.WAIT)).isTrue();
      }
      await("A sees the four nodes on replica b", () -> a.nodes().stream().filter(NodeView::connected).count() == 4);
      assertThat(agents).allSatisfy(agent -> assertThat(agent.connection().session().orElseThrow().remoteAddress())
          .isEqualTo(address(childPort)));

      long killedAt = System.nanoTime();
      child.toHandle().destroyForcibly(); // SIGKILL: no GOING_AWAY, no lease revocation
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();

      await("every agent reconnected to A or C", () -> agents.stream().allMatch(agent -> agent.connection().session()
          .map(s -> !s.remoteAddress().equals(address(childPort))).orElse(false)));
      long failoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      long v2 = a.apply("payments", text("v2"));
      for (Agent agent : agents) {
        assertThat(agent.awaitApplied("payments", v2, Fixtures.WAIT)).isTrue();
      }
      for (Recorder r : recorders) {
        assertThat(r.versions("payments")).as("each version once, in order").containsExactly(1L, 2L);
      }
      await("replica b's lease expired", () -> !((EtcdConfigStore) a.store()).fleet().replicaIds().contains("b"));
      assertThat(a.nodes()).filteredOn(NodeView::connected).hasSize(4);
      System.out.println("failover of 4 agents after SIGKILL of their replica: " + failoverMillis + " ms");
    } finally {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void replicaHoldingEveryAgent_shedsItsExcessToTheOther() throws Exception {
    EtcdConfigStore storeA = store("a");
    Controller a = Fixtures.controller(storeA, LoadShedding.fairShare(0.25, 100, Duration.ofMillis(300)));
    closeables.add(a);
    Controller b = replica("b");
    a.apply("payments", text("v1"));
    List<Agent> agents = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      agents.add(agent("node-" + i, new Recorder(), a, b));
    }

    // share 4 of 8; a replica sheds down to its share once above max(share + 1, share * 1.25) = 5
    await("A sheds to at most 5 of the 8 agents, B holds the rest",
        () -> count(agents, a) + count(agents, b) == 8 && count(agents, a) <= 5 && count(agents, b) >= 3);
    for (Agent agent : agents) {
      assertThat(agent.awaitApplied("payments", 1, Fixtures.WAIT)).isTrue();
    }
  }

  private static long count(List<Agent> agents, Controller replica) {
    return agents.stream().filter(agent -> agent.connection().session()
        .map(s -> s.remoteAddress().equals(address(replica.port()))).orElse(false)).count();
  }

  private Process startChildReplica(String replicaId) throws Exception {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), ReplicaMain.class.getName(),
        etcd.endpoints().stream().map(Object::toString).collect(Collectors.joining(",")), prefix, replicaId);
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }

  /** The child's "port N" line, read with a bound. */
  private static int readPort(Process child, BufferedReader out) throws Exception {
    CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          if (line.startsWith("port ")) {
            return Integer.parseInt(line.substring(5).trim());
          }
        }
        throw new IllegalStateException("replica exited with " + child.waitFor() + " before printing its port");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    return port.get(60, TimeUnit.SECONDS);
  }
}
