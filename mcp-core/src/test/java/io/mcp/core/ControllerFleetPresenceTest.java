package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.spi.FleetPresence;
import io.mcp.core.spi.NodePresence;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Controller} with a {@link FleetPresence}: announcements, the merged fleet view, load shedding. */
class ControllerFleetPresenceTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final String TOKEN = "fleet-token";

  /** Keeps announcements in memory; other replicas' nodes are set by the test. */
  static class FakePresence implements FleetPresence {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Map<String, NodePresence> local = new ConcurrentHashMap<>();
    final List<NodePresence> remote = new CopyOnWriteArrayList<>();
    final List<String> otherReplicas = new CopyOnWriteArrayList<>();
    volatile java.util.function.Consumer<Change> watcher;

    @Override
    public AutoCloseable watchNodes(java.util.function.Consumer<Change> listener) {
      watcher = listener;
      return () -> watcher = null;
    }

    @Override
    public String replicaId() {
      return "self";
    }

    @Override
    public void replicaStarted() {
      calls.add("started");
    }

    @Override
    public void nodeConnected(NodePresence node) {
      calls.add("connected " + node.nodeId());
      local.put(node.nodeId(), node);
    }

    @Override
    public void nodeDisconnected(String nodeId) {
      calls.add("disconnected " + nodeId);
      local.remove(nodeId);
    }

    @Override
    public void replicaStopped() {
      calls.add("stopped");
    }

    @Override
    public Fleet fleet() {
      List<String> replicas = new ArrayList<>(otherReplicas);
      replicas.add("self");
      List<NodePresence> nodes = new ArrayList<>(local.values());
      nodes.addAll(remote);
      return new Fleet(replicas, nodes);
    }
  }

  private final FakePresence presence = new FakePresence();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Controller controller;

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (controller != null) {
      controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    }
  }

  private Controller start(LoadShedding shedding) {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1").port(0)
        .authenticator(Authenticators.staticToken(TOKEN)).build(), new InMemoryConfigStore())
        .fleetPresence(presence).loadShedding(shedding).build()).start();
    return controller;
  }

  private Agent agent(String nodeId, ConnectionListener listener) {
    Agent agent = Agent.create(AgentOptions.builder(nodeId).services("payments").token(TOKEN)
        .configListener((s, v, c) -> { })
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20))
            .maxBackoff(Duration.ofMillis(200)).build())
        .build());
    agent.connection().addListener(listener);
    closeables.add(agent);
    return agent.start();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    io.mcp.core.Await.until(what, WAIT, condition);
  }

  @Test
  void presence_announcesSessions_andNodesListsOtherReplicasNodes() throws Exception {
    start(LoadShedding.disabled());
    presence.otherReplicas.add("other");
    presence.remote.add(new NodePresence("other", "remote-1", Set.of("payments"), Map.of("zone", "b"),
        Instant.parse("2026-01-01T00:00:00Z"), Map.of("payments", 3L)));
    Agent agent = agent("local-1", new ConnectionListener() { });
    await("local-1 announced", () -> presence.calls.contains("connected local-1"));

    List<NodeView> nodes = controller.nodes();
    assertThat(nodes).extracting(NodeView::nodeId).containsExactly("local-1", "remote-1");
    assertThat(nodes.get(0).sessionId()).isNotEmpty();
    NodeView remote = nodes.get(1);
    assertThat(remote.connected()).isTrue();
    assertThat(remote.sessionId()).isEmpty();
    assertThat(remote.appliedVersion("payments")).isEqualTo(3);
    assertThat(remote.metadata()).containsEntry("zone", "b");
    assertThat(controller.nodes("payments")).hasSize(2);

    agent.close();
    await("local-1 withdrawn", () -> presence.calls.contains("disconnected local-1"));
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    assertThat(presence.calls).first().isEqualTo("started");
    assertThat(presence.calls).last().isEqualTo("stopped");
    controller = null;
  }

  @Test
  void remoteChanges_publishedAsEvents_unlessTheNodeIsConnectedHere() throws Exception {
    start(LoadShedding.disabled());
    List<FleetEvent> seen = new CopyOnWriteArrayList<>();
    closeables.add(controller.subscribe(seen::add));
    Agent agent = agent("local-1", new ConnectionListener() { });
    await("local-1 connected", () -> seen.stream().anyMatch(e -> e.nodeId().equals("local-1")));
    NodePresence remote = new NodePresence("other", "remote-1", Set.of("payments"), Map.of(), Instant.now(), Map.of());

    presence.watcher.accept(new FleetPresence.Change(true, remote));
    presence.watcher.accept(new FleetPresence.Change(false,
        new NodePresence("other", "local-1", Set.of("payments"), Map.of(), Instant.now(), Map.of())));
    presence.watcher.accept(new FleetPresence.Change(true,
        new NodePresence("self", "mine", Set.of("payments"), Map.of(), Instant.now(), Map.of())));
    presence.watcher.accept(new FleetPresence.Change(false, remote));

    await("remote-1 left", () -> seen.stream().anyMatch(e -> e.type() == FleetEvent.Type.DISCONNECTED));
    List<FleetEvent> comings = seen.stream().filter(e -> e.type() == FleetEvent.Type.CONNECTED
        || e.type() == FleetEvent.Type.DISCONNECTED).toList();
    assertThat(comings).extracting(e -> e.type() + " " + e.nodeId())
        .containsExactly("CONNECTED local-1", "CONNECTED remote-1", "DISCONNECTED remote-1");
    assertThat(comings.get(1).detail()).isEqualTo("replica other");
    assertThat(comings.get(1).node().connected()).isTrue();
    assertThat(comings.get(2).node().connected()).isFalse();
    assertThat(agent.session()).isPresent();
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    assertThat(presence.watcher).as("watch closed on shutdown").isNull();
    controller = null;
  }

  @Test
  void presenceFails_nodesListsThisReplicasNodes() throws Exception {
    FakePresence failing = new FakePresence() {
      @Override
      public Fleet fleet() {
        throw new io.mcp.core.spi.StoreException("backend down");
      }
    };
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1").port(0)
        .authenticator(Authenticators.staticToken(TOKEN)).build(), new InMemoryConfigStore())
        .fleetPresence(failing).loadShedding(LoadShedding.disabled()).build()).start();
    agent("local-1", new ConnectionListener() { });

    await("local-1 listed", () -> controller.nodes().size() == 1);
    assertThat(controller.nodes().get(0).nodeId()).isEqualTo("local-1");
  }

  @Test
  void shedding_aboveTheShare_goingAwayToTheExcess() throws Exception {
    start(LoadShedding.fairShare(0.25, 100, Duration.ofMillis(100)));
    presence.otherReplicas.add("other"); // 2 replicas, no agents elsewhere: share 2 of 4, limit 3
    AtomicInteger shed = new AtomicInteger();
    ConnectionListener listener = new ConnectionListener() {
      @Override
      public void onDisconnected(Session session, SocketAddress endpoint, SessionClose close) {
        if (close.code().equals(CloseCode.GOING_AWAY) && close.reason().contains("load shedding")) {
          shed.incrementAndGet();
        }
      }
    };
    for (int i = 0; i < 4; i++) {
      agent("node-" + i, listener);
    }

    await("agents sent GOING_AWAY", () -> shed.get() >= 2);
  }

  @Test
  void shedding_oneReplicaOnly_none() throws Exception {
    start(LoadShedding.fairShare(0.25, 100, Duration.ofMillis(50)));
    AtomicInteger disconnects = new AtomicInteger();
    List<Agent> agents = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      agents.add(agent("node-" + i, new ConnectionListener() {
        @Override
        public void onDisconnected(Session session, SocketAddress endpoint, SessionClose close) {
          disconnects.incrementAndGet();
        }
      }));
    }
    await("agents connected", () -> agents.stream().allMatch(a -> a.session().isPresent()));
    // several shedding intervals pass; nothing may be shed with one replica
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    while (System.nanoTime() < until) {
      assertThat(disconnects.get()).isZero();
      Thread.sleep(50);
    }
  }
}
