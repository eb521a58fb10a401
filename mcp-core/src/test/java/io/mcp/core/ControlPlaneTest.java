package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.codec.ErrorCode;
import io.mcp.core.proto.ApplyRequest;
import io.mcp.core.proto.ApplyResponse;
import io.mcp.core.proto.ConfigAck;
import io.mcp.core.proto.ConfigUpdate;
import io.mcp.core.proto.StatusReport;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.Authenticator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutor;
import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Control-plane semantics over real loopback sockets: controller, agents, rollouts, store. */
class ControlPlaneTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  /** agent-token: any agent; ops-token: admin; billing-only: may serve billing only. */
  static final Authenticator AUTH = request -> switch (request.token()) {
    case "agent-token" -> Identity.of(request.nodeId(), Set.of("agent"), Set.of());
    case "ops-token" -> Identity.of("ops", Set.of("admin"), Set.of());
    case "billing-only" -> Identity.of(request.nodeId(), Set.of("agent"), Set.of("billing"));
    default -> throw new AuthenticationException("invalid token");
  };

  InMemoryConfigStore store;
  Controller controller;
  final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void start() {
    store = new InMemoryConfigStore();
    controller = startController(0);
  }

  Controller startController(int port) {
    return Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1").port(port)
        .authenticator(AUTH).build(), store).build()).start();
  }

  /** Replaces the default controller by one with adjusted server and controller options (same store). */
  void restartController(UnaryOperator<ServerOptions.Builder> server, UnaryOperator<ControllerOptions.Builder> options)
      throws Exception {
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    controller = Controller.create(options.apply(ControllerOptions.builder(
        server.apply(ServerOptions.builder().host("127.0.0.1").authenticator(AUTH)).build(), store)).build()).start();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  /** A node's listener that records what it applied and rejects bodies starting with "bad". */
  static final class Recorder implements ConfigListener {
    final List<String> applied = new CopyOnWriteArrayList<>();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void apply(String service, long version, ByteBuffer config) {
      calls.incrementAndGet();
      String text = StandardCharsets.UTF_8.decode(config).toString();
      if (text.startsWith("bad")) {
        throw new IllegalArgumentException("cannot parse line 1: " + text);
      }
      applied.add(service + "@" + version + "=" + text);
    }

    String last() {
      return applied.isEmpty() ? "" : applied.get(applied.size() - 1);
    }
  }

  Agent agent(String nodeId, Recorder recorder, String... services) {
    return agent(AgentOptions.builder(nodeId).services(services).token("agent-token").configListener(recorder));
  }

  Agent agent(AgentOptions.Builder builder) {
    Agent agent = Agent.create(builder.endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20))
            .maxBackoff(Duration.ofMillis(200)).build())
        .build()).start();
    closeables.add(agent);
    return agent;
  }

  void awaitConnected(int count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(NodeView::connected).count() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(controller.nodes().stream().filter(NodeView::connected).count()).isGreaterThanOrEqualTo(count);
  }

  /** Polls {@code condition} every 5 ms; fails naming {@code what} if it does not hold within {@link #WAIT}. */
  static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(condition.getAsBoolean()).as(what + " within " + WAIT.toSeconds() + " s").isTrue();
  }

  /** The agent's session, once its side of the handshake completed too. */
  static Session awaitSession(Agent agent) throws InterruptedException {
    awaitTrue("the agent's session", () -> agent.session().isPresent());
    return agent.session().orElseThrow();
  }

  static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void apply_everyAgentAcks_andAwaitRolloutSeesThem() throws Exception {
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    agent("node-a", a, "payments");
    agent("node-b", b, "payments");
    awaitConnected(2);

    long version = controller.apply("payments", text("limit=10"));
    RolloutResult result = controller.awaitRollout("payments", version, RolloutCondition.all(), WAIT);

    assertThat(version).isEqualTo(1);
    assertThat(result.satisfied()).isTrue();
    assertThat(result.acked()).containsExactly("node-a", "node-b");
    assertThat(a.last()).isEqualTo("payments@1=limit=10");
    assertThat(controller.nodes("payments")).allSatisfy(n -> assertThat(n.appliedVersion("payments")).isEqualTo(1));
  }

  /**
   * Four agents of payments that answer one version differently: n1 (zone east, tier gold) and n3
   * (west) apply it, n2 (east) rejects it, n4 (west) holds it until {@code release}. Returns once
   * the controller has seen the three answers.
   */
  long fourDifferentAnswers(CountDownLatch release) throws Exception {
    ConfigListener applies = (service, version, config) -> { };
    agent(AgentOptions.builder("n1").services("payments").token("agent-token").metadata("zone", "east")
        .metadata("tier", "gold").configListener(applies));
    agent(AgentOptions.builder("n2").services("payments").token("agent-token").metadata("zone", "east")
        .configListener((service, version, config) -> {
          throw new IllegalArgumentException("n2 refuses " + service + "@" + version);
        }));
    agent(AgentOptions.builder("n3").services("payments").token("agent-token").metadata("zone", "west")
        .configListener(applies));
    agent(AgentOptions.builder("n4").services("payments").token("agent-token").metadata("zone", "west")
        .configListener((service, version, config) -> release.await(WAIT.toSeconds() * 3, TimeUnit.SECONDS)));
    awaitConnected(4);
    LinkedBlockingQueue<FleetEvent> answers = new LinkedBlockingQueue<>();
    Subscription subscription = controller.subscribe(answers::add,
        e -> e.type() == FleetEvent.Type.APPLIED || e.type() == FleetEvent.Type.REJECTED);
    long version = controller.apply("payments", text("limit=10"));
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      FleetEvent answer = answers.poll(10, TimeUnit.SECONDS);
      assertThat(answer).as("answer %d of 3; seen %s", i + 1, seen).isNotNull();
      seen.add(answer.type() + " " + answer.nodeId());
    }
    subscription.close();
    assertThat(seen).containsExactlyInAnyOrder("APPLIED n1", "REJECTED n2", "APPLIED n3");
    return version;
  }

  @Test
  void awaitRollout_percent_countsEveryTarget_roundsUp_andListsEachAnswer() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try {
      long v = fourDifferentAnswers(release);

      RolloutResult half = controller.awaitRollout("payments", v, RolloutCondition.percent(50), WAIT);
      RolloutResult moreThanHalf = controller.awaitRollout("payments", v, RolloutCondition.percent(51),
          Duration.ofMillis(200));

      assertThat(half.satisfied()).as("2 of 4 acked: 50 %").isTrue();
      assertThat(half.acked()).containsExactly("n1", "n3");
      assertThat(half.rejected()).containsExactly(Map.entry("n2", "n2 refuses payments@" + v));
      assertThat(half.timedOut()).containsExactly("n4");
      assertThat(moreThanHalf.satisfied()).as("51 % of 4 rounds up to 3 acks").isFalse();
      assertThat(moreThanHalf.acked()).containsExactly("n1", "n3");
      assertThat(moreThanHalf.rejected()).containsExactly(Map.entry("n2", "n2 refuses payments@" + v));
      assertThat(moreThanHalf.timedOut()).containsExactly("n4");

      release.countDown();
      RolloutResult everyone = controller.awaitRollout("payments", v, RolloutCondition.percent(75), WAIT);
      assertThat(everyone.satisfied()).as("3 of 4 acked once n4 applied").isTrue();
      assertThat(everyone.acked()).containsExactly("n1", "n3", "n4");
      assertThat(everyone.rejected()).containsOnlyKeys("n2");
      assertThat(everyone.timedOut()).isEmpty();
    } finally {
      release.countDown();
    }
  }

  @Test
  void awaitRollout_labels_judgesOnlyTheMatchingNodes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try {
      long v = fourDifferentAnswers(release);

      RolloutResult east = controller.awaitRollout("payments", v, RolloutCondition.labels(Map.of("zone", "east")),
          WAIT);
      RolloutResult gold = controller.awaitRollout("payments", v,
          RolloutCondition.labels(Map.of("zone", "east", "tier", "gold")), WAIT);
      RolloutResult west = controller.awaitRollout("payments", v, RolloutCondition.labels(Map.of("zone", "west")),
          Duration.ofMillis(200));

      assertThat(east.satisfied()).as("n2 of the east zone rejected").isFalse();
      assertThat(east.acked()).containsExactly("n1");
      assertThat(east.rejected()).containsExactly(Map.entry("n2", "n2 refuses payments@" + v));
      assertThat(east.timedOut()).as("every east node answered: nothing timed out").isEmpty();
      assertThat(gold.satisfied()).isTrue();
      assertThat(gold.acked()).containsExactly("n1");
      assertThat(gold.rejected()).isEmpty();
      assertThat(gold.timedOut()).isEmpty();
      assertThat(west.satisfied()).isFalse();
      assertThat(west.acked()).containsExactly("n3");
      assertThat(west.rejected()).as("n2's rejection is outside the selector").isEmpty();
      assertThat(west.timedOut()).containsExactly("n4");
    } finally {
      release.countDown();
    }
  }

  @Test
  void fleetEvents_connectedCarriesTheNode_rejectedCarriesTheAgentsReason() throws Exception {
    LinkedBlockingQueue<FleetEvent> events = new LinkedBlockingQueue<>();
    controller.subscribe(events::add,
        e -> e.type() == FleetEvent.Type.CONNECTED || e.type() == FleetEvent.Type.REJECTED);
    agent(AgentOptions.builder("node-1").services("payments", "billing").token("agent-token")
        .metadata("zone", "east").configListener(new Recorder()));

    FleetEvent connected = events.poll(10, TimeUnit.SECONDS);
    long bad = controller.apply("payments", text("bad syntax"));
    FleetEvent rejected = events.poll(10, TimeUnit.SECONDS);

    assertThat(connected.type()).isEqualTo(FleetEvent.Type.CONNECTED);
    assertThat(connected.nodeId()).isEqualTo("node-1");
    assertThat(connected.service()).isEqualTo("payments,billing");
    assertThat(connected.version()).isZero();
    assertThat(connected.node().connected()).isTrue();
    assertThat(connected.node().services()).containsExactlyInAnyOrder("payments", "billing");
    assertThat(connected.node().metadata()).containsEntry("zone", "east");
    assertThat(rejected.type()).isEqualTo(FleetEvent.Type.REJECTED);
    assertThat(rejected.nodeId()).isEqualTo("node-1");
    assertThat(rejected.service()).isEqualTo("payments");
    assertThat(rejected.version()).isEqualTo(bad);
    assertThat(rejected.detail()).isEqualTo("cannot parse line 1: bad syntax");
    assertThat(rejected.node().rejections())
        .containsEntry("payments", new NodeView.Rejection(bad, "cannot parse line 1: bad syntax"));
    assertThat(rejected.node().appliedVersion("payments")).isZero();
  }

  @Test
  void nack_reportedWithTheAgentsReason_andNotResentInALoop() throws Exception {
    Recorder picky = new Recorder();
    Agent agent = agent("node-1", picky, "payments");
    awaitConnected(1);
    controller.awaitRollout("payments", controller.apply("payments", text("good")), RolloutCondition.all(), WAIT);

    long bad = controller.apply("payments", text("bad config"));
    RolloutResult result = controller.awaitRollout("payments", bad, RolloutCondition.all(), WAIT);

    assertThat(result.satisfied()).isFalse();
    assertThat(result.rejected()).containsEntry("node-1", "cannot parse line 1: bad config");
    assertThat(picky.calls.get()).isEqualTo(2);
    // Reconnect: the controller must not push the rejected version again.
    Session before = agent.session().orElseThrow();
    before.close(CloseCode.GOING_AWAY, "test reconnect");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while ((agent.session().isEmpty() || agent.session().get() == before) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    long good = controller.apply("payments", text("good again"));
    assertThat(agent.awaitApplied("payments", good, WAIT)).isTrue();
    assertThat(picky.calls.get()).isEqualTo(3); // good, bad, good again: the bad version was not retried
    assertThat(controller.nodes("payments").get(0).rejections().get("payments").version()).isEqualTo(bad);
  }

  @Test
  void rollback_appliesTheEarlierContentAsANewVersion() throws Exception {
    Recorder r = new Recorder();
    Agent agent = agent("node-1", r, "payments");
    awaitConnected(1);
    long v1 = controller.apply("payments", text("one"));
    controller.apply("payments", text("two"));

    long v3 = controller.rollback("payments", v1);

    assertThat(v3).isEqualTo(3);
    assertThat(agent.awaitApplied("payments", 3, WAIT)).isTrue();
    assertThat(r.last()).isEqualTo("payments@3=one");
    assertThat(controller.config("payments").orElseThrow().dataBytes()).isEqualTo(text("one"));
    assertThat(controller.history("payments", 10)).extracting(v -> v.version()).containsExactly(3L, 2L, 1L);
  }

  @Test
  void canary_firstWaveOnly_thenTheRestAfterAcksAndBake() throws Exception {
    List<Recorder> recorders = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Recorder r = new Recorder();
      recorders.add(r);
      agent("node-" + i, r, "web");
    }
    awaitConnected(5);
    LinkedBlockingQueue<FleetEvent> applied = new LinkedBlockingQueue<>();
    controller.subscribe(applied::add, e -> e.type() == FleetEvent.Type.APPLIED);

    long v = controller.apply("web", text("new"), RolloutPolicies.canaryPercent(40, Duration.ofMillis(300)));

    List<String> order = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      order.add(applied.poll(10, TimeUnit.SECONDS).nodeId());
    }
    assertThat(order.subList(0, 2)).containsExactlyInAnyOrder("node-0", "node-1");
    assertThat(order.subList(2, 5)).containsExactlyInAnyOrder("node-2", "node-3", "node-4");
    assertThat(controller.awaitRollout("web", v, RolloutCondition.all(), WAIT).satisfied()).isTrue();
    assertThat(controller.releasedVersion("web")).isEqualTo(v);
  }

  @Test
  void canaryRejects_rolloutHalts_restKeepTheReleasedVersion() throws Exception {
    Recorder picky = new Recorder();
    agent("node-0", picky, "web");
    List<Recorder> others = new ArrayList<>();
    for (int i = 1; i < 4; i++) {
      Recorder r = new Recorder();
      others.add(r);
      agent("node-" + i, r, "web");
    }
    awaitConnected(4);
    long good = controller.apply("web", text("good"));
    controller.awaitRollout("web", good, RolloutCondition.all(), WAIT);

    long bad = controller.apply("web", text("bad canary"), RolloutPolicies.canaryPercent(25, Duration.ZERO));
    RolloutResult canary = controller.awaitRollout("web", bad, RolloutCondition.labels(Map.of()), Duration.ofSeconds(2));

    assertThat(canary.rejected()).containsOnlyKeys("node-0");
    assertThat(canary.timedOut()).containsExactlyInAnyOrder("node-1", "node-2", "node-3");
    assertThat(controller.releasedVersion("web")).isEqualTo(good);
    assertThat(others).allSatisfy(r -> assertThat(r.last()).isEqualTo("web@" + good + "=good"));
  }

  @Test
  void canaryLabels_labelledAgentsFirst_theOthersOnlyAfterTheirAcks() throws Exception {
    // One log for both sides, in causal order: the controller's pushes and the answers it got (its
    // rollout trace), and each agent's listener.
    List<String> log = new CopyOnWriteArrayList<>();
    restartController(server -> server.telemetry(new Telemetry() {
      @Override
      public RolloutTrace rolloutStarted(String service, long version) {
        return new RolloutTrace() {
          @Override
          public void pushed(String nodeId) {
            log.add("pushed " + nodeId);
          }

          @Override
          public void answered(String nodeId, String reason) {
            log.add("answered " + nodeId);
          }
        };
      }
    }), options -> options);
    Set<String> canaries = Set.of("node-1", "node-3");
    for (int i = 0; i < 5; i++) {
      String nodeId = "node-" + i;
      AgentOptions.Builder builder = AgentOptions.builder(nodeId).services("web").token("agent-token")
          .configListener((service, version, config) -> log.add("applied " + nodeId));
      if (canaries.contains(nodeId)) {
        builder.metadata("canary", "true");
      }
      agent(builder);
    }
    awaitConnected(5);

    long v = controller.apply("web", text("new"),
        RolloutPolicies.canaryLabels(Map.of("canary", "true"), Duration.ZERO));

    assertThat(controller.awaitRollout("web", v, RolloutCondition.all(), WAIT).acked()).hasSize(5);
    assertThat(log.subList(0, 2)).containsExactlyInAnyOrder("pushed node-1", "pushed node-3");
    int lastCanaryAck = Math.max(log.indexOf("answered node-1"), log.indexOf("answered node-3"));
    assertThat(log).contains("answered node-1", "answered node-3");
    for (String other : List.of("node-0", "node-2", "node-4")) {
      assertThat(log.indexOf("pushed " + other)).as("%s pushed after the canaries' ACKs: %s", other, log)
          .isGreaterThan(lastCanaryAck);
      assertThat(log.indexOf("applied " + other)).as("%s applied after the canaries' ACKs: %s", other, log)
          .isGreaterThan(lastCanaryAck);
    }
    assertThat(controller.releasedVersion("web")).isEqualTo(v);
  }

  @Test
  void autoRollback_whenRejectionsExceedTheThreshold() throws Exception {
    Recorder[] recorders = new Recorder[5];
    for (int i = 0; i < 5; i++) {
      recorders[i] = new Recorder();
      agent("node-" + i, recorders[i], "api");
    }
    awaitConnected(5);
    long good = controller.apply("api", text("v-good"));
    controller.awaitRollout("api", good, RolloutCondition.all(), WAIT);

    long bad = controller.apply("api", text("bad everywhere"),
        RolloutPolicies.withAutoRollback(RolloutPolicies.allAtOnce(), 0.5));

    long restored = bad + 1;
    RolloutResult result = controller.awaitRollout("api", restored, RolloutCondition.all(), WAIT);
    assertThat(result.satisfied()).isTrue();
    assertThat(controller.config("api").orElseThrow().version()).isEqualTo(restored);
    assertThat(controller.config("api").orElseThrow().dataBytes()).isEqualTo(text("v-good"));
    assertThat(recorders[0].last()).isEqualTo("api@" + restored + "=v-good");
  }

  @Test
  void resumeAfterDisconnect_onlyTheNewestVersion_neverOlder_neverTwice() throws Exception {
    Recorder r = new Recorder();
    Agent agent = agent("node-1", r, "payments");
    awaitConnected(1);
    long v1 = controller.apply("payments", text("one"));
    assertThat(agent.awaitApplied("payments", v1, WAIT)).isTrue();
    agent.close();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().get(0).connected() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    controller.apply("payments", text("two"));
    long v3 = controller.apply("payments", text("three"));

    Agent again = agent("node-1", r, "payments"); // a new process: nothing applied in memory or on disk
    assertThat(again.awaitApplied("payments", v3, WAIT)).isTrue();

    assertThat(r.applied).containsExactly("payments@1=one", "payments@3=three");
  }

  @Test
  void reconnectWithAppliedVersions_onlyNewerVersionsArePushed() throws Exception {
    long v1 = controller.apply("payments", text("one"));
    long v2 = controller.apply("payments", text("two"));
    LinkedBlockingQueue<ConfigUpdate> updates = new LinkedBlockingQueue<>();

    McpClient current = McpClient.create(ClientOptions.builder("current").serviceName("payments")
        .token("agent-token").appliedVersion("payments", v2).handlers(MessageHandlers.builder()
            .onAsync(ControlMessages.UPDATE, m -> {
              updates.add(ConfigUpdate.getDefaultInstance());
              return java.util.concurrent.CompletableFuture.completedFuture(null);
            }).build()).build());
    closeables.add(current);
    current.connect(new InetSocketAddress("127.0.0.1", controller.port())).get(10, TimeUnit.SECONDS);
    Session behind = manualAgent("behind", updates); // reports nothing applied

    ConfigUpdate update = updates.poll(10, TimeUnit.SECONDS);
    assertThat(update.getVersion()).isEqualTo(v2); // the newest, not v1
    assertThat(updates.poll(300, TimeUnit.MILLISECONDS)).as("the current node got nothing").isNull();
    assertThat(behind.state()).isEqualTo(SessionState.READY);
    assertThat(v1).isLessThan(v2);
  }

  @Test
  void controllerRestart_agentsReconnectAndConverge_versionsStayMonotonic() throws Exception {
    Recorder r = new Recorder();
    Agent agent = agent("node-1", r, "payments");
    awaitConnected(1);
    long v1 = controller.apply("payments", text("before restart"));
    assertThat(agent.awaitApplied("payments", v1, WAIT)).isTrue();
    int port = controller.port();

    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    controller = startController(port); // same store, same port
    long v2 = controller.apply("payments", text("after restart"));

    assertThat(v2).isEqualTo(v1 + 1);
    assertThat(agent.awaitApplied("payments", v2, WAIT)).isTrue();
    assertThat(r.applied).containsExactly("payments@1=before restart", "payments@2=after restart");
  }

  /** A hand-driven agent on a plain client: it decides what to ACK. */
  Session manualAgent(String nodeId, LinkedBlockingQueue<ConfigUpdate> updates) throws Exception {
    McpClient client = McpClient.create(ClientOptions.builder(nodeId).serviceName("payments").token("agent-token")
        .handlers(MessageHandlers.builder().onAsync(ControlMessages.UPDATE, m -> {
          try {
            updates.add(ConfigUpdate.parseFrom(m.body()));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          return java.util.concurrent.CompletableFuture.completedFuture(null);
        }).build()).build());
    closeables.add(client);
    return client.connect(new InetSocketAddress("127.0.0.1", controller.port())).get(10, TimeUnit.SECONDS);
  }

  static ByteBuffer ack(long version) {
    return ByteBuffer.wrap(ConfigAck.newBuilder().setService("payments").setVersion(version).build().toByteArray());
  }

  @Test
  void duplicateAndOutOfOrderAcks_idempotent_appliedNeverRegresses() throws Exception {
    // One handler thread: the controller handles one session's messages in arrival order, so the
    // answer to a request sent after the ACKs proves they were handled.
    ExecutorService serial = Executors.newSingleThreadExecutor();
    closeables.add(serial::shutdownNow);
    restartController(server -> server.handlerExecutor(serial), options -> options);
    LinkedBlockingQueue<ConfigUpdate> updates = new LinkedBlockingQueue<>();
    Session session = manualAgent("manual", updates);
    LinkedBlockingQueue<FleetEvent> events = new LinkedBlockingQueue<>();
    controller.subscribe(events::add,
        e -> e.type() == FleetEvent.Type.APPLIED || e.type() == FleetEvent.Type.HEALTH_CHANGED);
    long v1 = controller.apply("payments", text("1"));
    assertThat(updates.poll(10, TimeUnit.SECONDS).getVersion()).isEqualTo(v1);
    long v2 = controller.apply("payments", text("2"));
    assertThat(updates.poll(10, TimeUnit.SECONDS).getVersion()).isEqualTo(v2);
    session.send(ControlMessages.ACK, ack(v2));
    FleetEvent appliedV2 = events.poll(10, TimeUnit.SECONDS);
    assertThat(appliedV2.type()).isEqualTo(FleetEvent.Type.APPLIED);
    assertThat(appliedV2.version()).isEqualTo(v2);

    session.send(ControlMessages.ACK, ack(v2)); // duplicate
    session.send(ControlMessages.ACK, ack(v1)); // late, older
    // The ordering point: handled after both ACKs; its HEALTH_CHANGED is published after anything they published.
    session.request(ControlMessages.STATUS, ByteBuffer.wrap(StatusReport.newBuilder()
        .setHealth(io.mcp.core.proto.Health.DEGRADED).build().toByteArray()), WAIT).get(10, TimeUnit.SECONDS);

    FleetEvent next = events.poll(10, TimeUnit.SECONDS);
    assertThat(next.type()).as("no APPLIED for the duplicate or the older ACK")
        .isEqualTo(FleetEvent.Type.HEALTH_CHANGED);
    assertThat(session.state()).isEqualTo(SessionState.READY);
    assertThat(controller.nodes().get(0).appliedVersion("payments")).isEqualTo(v2);
    assertThat(store.nodeRecord("manual", "payments").appliedVersion()).isEqualTo(v2);
    assertThat(controller.awaitRollout("payments", v2, RolloutCondition.all(), WAIT).acked()).containsExactly("manual");
  }

  @Test
  void statusReportHandledAfterANewerOne_isIgnored_unnumberedReportsAreAlwaysTaken() throws Exception {
    // One handler thread handles the session's reports in arrival order, so sending the newer report
    // first is how a multi-threaded controller can meet them.
    ExecutorService serial = Executors.newSingleThreadExecutor();
    closeables.add(serial::shutdownNow);
    restartController(server -> server.handlerExecutor(serial), options -> options);
    Session session = manualAgent("manual", new LinkedBlockingQueue<>());

    session.send(ControlMessages.STATUS, status(io.mcp.core.proto.Health.UNHEALTHY, 2, 2.0));
    session.send(ControlMessages.STATUS, status(io.mcp.core.proto.Health.HEALTHY, 1, 1.0));
    // The ordering point: a request handled after both reports (sequence 2 again: also ignored).
    session.request(ControlMessages.STATUS, status(io.mcp.core.proto.Health.HEALTHY, 2, 3.0), WAIT)
        .get(10, TimeUnit.SECONDS);

    NodeView view = controller.nodes().get(0);
    assertThat(view.health()).isEqualTo(Health.UNHEALTHY);
    assertThat(view.metrics()).containsEntry("report", 2.0);

    session.request(ControlMessages.STATUS, status(io.mcp.core.proto.Health.DEGRADED, 0, 4.0), WAIT)
        .get(10, TimeUnit.SECONDS);
    view = controller.nodes().get(0);
    assertThat(view.health()).isEqualTo(Health.DEGRADED);
    assertThat(view.metrics()).containsEntry("report", 4.0);
  }

  private static ByteBuffer status(io.mcp.core.proto.Health health, long sequence, double report) {
    return ByteBuffer.wrap(StatusReport.newBuilder().setHealth(health).setSequence(sequence)
        .putMetrics("report", report).build().toByteArray());
  }

  @Test
  void ackForAVersionNeverSent_protocolError() throws Exception {
    Session session = manualAgent("liar", new LinkedBlockingQueue<>());

    session.send(ControlMessages.ACK, ack(42));

    SessionClose close = session.closeFuture().get(10, TimeUnit.SECONDS);
    assertThat(close.code()).isEqualTo(CloseCode.PROTOCOL_ERROR);
    assertThat(close.reason()).isEqualTo("ACK for payments@42, which was never sent to node liar");
  }

  @Test
  void unauthorizedService_closedAndNoConfigSent() throws Exception {
    controller.apply("payments", text("secret"));
    Recorder r = new Recorder();
    LinkedBlockingQueue<SessionClose> closes = new LinkedBlockingQueue<>();
    Agent agent = agent(AgentOptions.builder("sneaky").services("payments").token("billing-only")
        .configListener(r));
    agent.connection().addListener(new ConnectionListener() {
      @Override
      public void onDisconnected(Session session, java.net.SocketAddress endpoint, SessionClose close) {
        closes.add(close);
      }
    });

    SessionClose close = closes.poll(10, TimeUnit.SECONDS);

    assertThat(close.code()).isEqualTo(CloseCode.UNAUTHENTICATED);
    assertThat(close.reason()).isEqualTo("identity sneaky is not allowed service payments");
    assertThat(r.calls.get()).isZero();
  }

  @Test
  void adminApplyOverMcp_onlyWithTheAdminRole() throws Exception {
    Recorder r = new Recorder();
    Agent agent = agent("node-1", r, "payments");
    awaitConnected(1);
    ByteBuffer request = ByteBuffer.wrap(ApplyRequest.newBuilder().setService("payments")
        .setConfigData(com.google.protobuf.ByteString.copyFromUtf8("from ops")).build().toByteArray());
    try (McpClient ops = McpClient.create(ClientOptions.builder("ops-cli").token("ops-token").build());
        McpClient intruder = McpClient.create(ClientOptions.builder("agent-cli").token("agent-token").build())) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", controller.port());
      Session admin = ops.connect(address).get(10, TimeUnit.SECONDS);
      Session notAdmin = intruder.connect(address).get(10, TimeUnit.SECONDS);

      ExecutionException denied = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> notAdmin.request(ControlMessages.ADMIN_APPLY, request.duplicate(), WAIT).get(10, TimeUnit.SECONDS));
      Reply reply = admin.request(ControlMessages.ADMIN_APPLY, request.duplicate(), WAIT).get(10, TimeUnit.SECONDS);

      assertThat(((RequestException) denied.getCause()).errorCode()).isEqualTo(ErrorCode.PERMISSION_DENIED);
      long version = ApplyResponse.parseFrom(reply.body()).getVersion();
      assertThat(version).isEqualTo(1);
      assertThat(agent.awaitApplied("payments", version, WAIT)).isTrue();
      assertThat(r.last()).isEqualTo("payments@1=from ops");
    }
  }

  @Test
  void slowSubscriber_coalescedAndToldItLagged_othersAndTheControllerUnaffected() throws Exception {
    restartController(server -> server, options -> options.subscriberBufferSize(4));
    CountDownLatch stuck = new CountDownLatch(1);
    List<FleetEvent> slowSaw = new CopyOnWriteArrayList<>();
    controller.subscribe(e -> {
      slowSaw.add(e);
      try {
        stuck.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
    });
    LinkedBlockingQueue<FleetEvent> fast = new LinkedBlockingQueue<>();
    controller.subscribe(fast::add);
    List<Agent> agents = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      agents.add(agent("node-" + i, new Recorder(), "svc"));
    }
    awaitConnected(6);

    for (int round = 0; round < 5; round++) {
      long v = controller.apply("svc", text("round " + round));
      assertThat(controller.awaitRollout("svc", v, RolloutCondition.all(), WAIT).satisfied()).isTrue();
    }
    long fastApplied = 0;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (fastApplied < 30 && System.nanoTime() < deadline) {
      FleetEvent e = fast.poll(1, TimeUnit.SECONDS);
      if (e != null && e.type() == FleetEvent.Type.APPLIED) {
        fastApplied++;
      }
    }
    assertThat(fastApplied).as("the fast subscriber saw every APPLIED event").isEqualTo(30);
    assertThat(slowSaw).hasSize(1);

    stuck.countDown();
    deadline = System.nanoTime() + WAIT.toNanos();
    while (slowSaw.stream().noneMatch(e -> e.type() == FleetEvent.Type.LAGGED) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(slowSaw).anySatisfy(e -> assertThat(e.type()).isEqualTo(FleetEvent.Type.LAGGED));
    assertThat(slowSaw.size()).as("coalesced: far fewer than the events published").isLessThan(30);
    Thread.sleep(200);
    // After the lag signal, the newest event per node arrived: each node's last APPLIED is round 4's.
    assertThat(slowSaw.stream().filter(e -> e.type() == FleetEvent.Type.APPLIED).map(FleetEvent::version))
        .contains(5L);
  }

  @Test
  void statusReports_updateTheFleetView_andUnhealthyIsAnEvent() throws Exception {
    LinkedBlockingQueue<FleetEvent> unhealthy = new LinkedBlockingQueue<>();
    controller.subscribe(unhealthy::add, e -> e.type() == FleetEvent.Type.UNHEALTHY);
    Agent agent = agent("node-1", new Recorder(), "payments");
    awaitConnected(1);

    agent.reportStatus(Health.UNHEALTHY, Map.of("queue_depth", 1200.0));

    FleetEvent event = unhealthy.poll(10, TimeUnit.SECONDS);
    assertThat(event.nodeId()).isEqualTo("node-1");
    NodeView view = controller.nodes().get(0);
    assertThat(view.health()).isEqualTo(Health.UNHEALTHY);
    assertThat(view.metrics()).containsEntry("queue_depth", 1200.0);
    assertThat(view.transport()).isEqualTo("tcp");
    assertThat(view.services()).containsExactly("payments");
  }

  @Test
  void periodicStatus_reachesTheControllerRepeatedly_withoutAnyChange() throws Exception {
    NodeRetentionTest.ManualClock clock = new NodeRetentionTest.ManualClock();
    restartController(server -> server, options -> options.clock(clock));
    agent(AgentOptions.builder("node-1").services("payments").token("agent-token").configListener(new Recorder())
        .statusInterval(Duration.ofMillis(50)));
    awaitTrue("the first status report", () -> !controller.nodes().isEmpty()
        && controller.nodes().get(0).health() == Health.HEALTHY);

    // Only a message from the node moves lastSeen to the controller's clock: one report per step.
    for (int step = 1; step <= 3; step++) {
      Instant now = clock.now.plusSeconds(60);
      clock.now = now;
      awaitTrue("status report " + step + " seen at " + now, () -> controller.nodes().get(0).lastSeen().equals(now));
    }

    NodeView view = controller.nodes().get(0);
    assertThat(view.health()).isEqualTo(Health.HEALTHY);
    assertThat(view.metrics()).isEmpty();
    assertThat(view.connected()).isTrue();
  }

  @Test
  void nodesView_lastSeenRttAndMetadata() throws Exception {
    NodeRetentionTest.ManualClock clock = new NodeRetentionTest.ManualClock();
    restartController(server -> server.heartbeatBounds(Duration.ofMillis(50), Duration.ofSeconds(60))
        .heartbeatInterval(Duration.ofMillis(100)), options -> options.clock(clock));
    Instant connectedAt = clock.now;
    Agent agent = agent(AgentOptions.builder("node-1").services("payments").token("agent-token")
        .metadata("zone", "east").metadata("rack", "r7").configListener(new Recorder()));
    awaitConnected(1);

    awaitTrue("an RTT sample from the controller's heartbeat", () -> controller.nodes().get(0).rtt().isPresent());
    NodeView view = controller.nodes().get(0);
    Instant later = connectedAt.plusSeconds(30);
    clock.now = later;
    agent.reportStatus(Health.DEGRADED, Map.of("load", 0.9));
    awaitTrue("the report seen", () -> controller.nodes().get(0).health() == Health.DEGRADED);
    NodeView after = controller.nodes().get(0);

    assertThat(view.nodeId()).isEqualTo("node-1");
    assertThat(view.connected()).isTrue();
    assertThat(view.sessionId()).isEqualTo(awaitSession(agent).id());
    assertThat(view.transport()).isEqualTo("tcp");
    assertThat(view.metadata()).containsEntry("zone", "east").containsEntry("rack", "r7")
        .containsEntry(ControlMessages.TRANSPORT_METADATA, "tcp");
    assertThat(view.lastSeen()).as("connected, then the first status report, at the controller's time")
        .isEqualTo(connectedAt);
    assertThat(view.rtt().orElseThrow()).isPositive();
    assertThat(after.lastSeen()).isEqualTo(later);
    assertThat(after.metrics()).containsEntry("load", 0.9);
    assertThat(after.rtt()).isPresent();
  }

  @Test
  void configListener_runsOffTheEventLoop_andBlockingItDoesNotStopHeartbeats() throws Exception {
    Duration heartbeat = Duration.ofMillis(100);
    AtomicInteger serverRtts = new AtomicInteger();
    AtomicInteger agentRtts = new AtomicInteger();
    List<SessionClose> closes = new CopyOnWriteArrayList<>();
    restartController(server -> server.heartbeatBounds(Duration.ofMillis(50), Duration.ofSeconds(60))
        .telemetry(countingRttsAndCloses(serverRtts, closes)), options -> options);
    EventLoopGroup agentLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    closeables.add(() -> agentLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly());
    List<String> listenerThreads = new CopyOnWriteArrayList<>();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Agent agent = agent(AgentOptions.builder("node-1").services("payments").token("agent-token")
        .client(c -> c.eventLoopGroup(agentLoop).heartbeatInterval(heartbeat)
            .telemetry(countingRttsAndCloses(agentRtts, closes)))
        .configListener((service, version, config) -> {
          listenerThreads.add(Thread.currentThread().getName() + (onAnyLoopOf(agentLoop) ? " (event loop)" : ""));
          entered.countDown();
          release.await(WAIT.toSeconds() * 3, TimeUnit.SECONDS);
        }));
    awaitConnected(1);
    Session session = awaitSession(agent);
    assertThat(session.heartbeatInterval()).isEqualTo(heartbeat);

    try {
      long v = controller.apply("payments", text("slow to apply"));
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(listenerThreads).singleElement().asString().doesNotEndWith("(event loop)");
      int serverBefore = serverRtts.get();
      int agentBefore = agentRtts.get();
      // Ten heartbeat intervals, counted in round trips on both sides while the listener blocks.
      awaitTrue("ten more heartbeat round trips on each side while the listener blocks",
          () -> serverRtts.get() >= serverBefore + 10 && agentRtts.get() >= agentBefore + 10);
      assertThat(session.state()).isEqualTo(SessionState.READY);
      assertThat(agent.session()).containsSame(session);
      release.countDown();

      assertThat(agent.awaitApplied("payments", v, WAIT)).isTrue();
      assertThat(controller.awaitRollout("payments", v, RolloutCondition.all(), WAIT).satisfied()).isTrue();
    } finally {
      release.countDown();
    }
    assertThat(closes).as("no IDLE_TIMEOUT, no close at all").isEmpty();
    assertThat(agent.session()).containsSame(session);
  }

  static boolean onAnyLoopOf(EventLoopGroup group) {
    for (EventExecutor loop : group) {
      if (loop.inEventLoop()) {
        return true;
      }
    }
    return false;
  }

  static Telemetry countingRttsAndCloses(AtomicInteger rtts, List<SessionClose> closes) {
    return new Telemetry() {
      @Override
      public void heartbeatRtt(Session session, long rttNanos) {
        rtts.incrementAndGet();
      }

      @Override
      public void sessionClosed(Session session, SessionClose close) {
        closes.add(close);
      }
    };
  }

  @Test
  void agentWithStateDirectory_restartsWithItsLastGoodConfig_evenWithoutAController(@TempDir Path dir)
      throws Exception {
    Recorder first = new Recorder();
    Agent agent = agent(AgentOptions.builder("node-1").services("payments").token("agent-token")
        .configListener(first).stateDirectory(dir));
    awaitConnected(1);
    long v = controller.apply("payments", text("keep me"));
    assertThat(agent.awaitApplied("payments", v, WAIT)).isTrue();
    agent.close();
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);

    Recorder restarted = new Recorder();
    Agent again = Agent.create(AgentOptions.builder("node-1").services("payments").token("agent-token")
        .configListener(restarted).stateDirectory(dir)
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port())).build()).start();
    closeables.add(again);

    assertThat(restarted.applied).containsExactly("payments@1=keep me");
    assertThat(again.appliedVersion("payments")).hasValue(v);
    controller = startController(0);
  }

  @Test
  void multiServiceAgent_receivesEachOfItsServices() throws Exception {
    Recorder r = new Recorder();
    Agent agent = agent("node-1", r, "payments", "billing");
    awaitConnected(1);

    long p = controller.apply("payments", text("p"));
    long b = controller.apply("billing", text("b"));

    assertThat(agent.awaitApplied("payments", p, WAIT)).isTrue();
    assertThat(agent.awaitApplied("billing", b, WAIT)).isTrue();
    assertThat(controller.nodes("billing")).extracting(NodeView::nodeId).containsExactly("node-1");
  }

  @Test
  void closedAgentOnASharedEventLoopGroup_isReleased_noPeriodicTaskKeepsIt() throws Exception {
    EventLoopGroup shared = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Agent agent = Agent.create(AgentOptions.builder("node-1").services("payments").token("agent-token")
          .configListener(new Recorder()).statusInterval(Duration.ofMillis(50))
          .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
          .client(c -> c.eventLoopGroup(shared)).build()).start();
      awaitConnected(1);
      agent.close();
      WeakReference<Agent> ref = new WeakReference<>(agent);
      agent = null;

      long deadline = System.nanoTime() + WAIT.toNanos();
      while (ref.get() != null && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(20);
      }

      assertThat(ref.get()).as("a closed agent must not stay reachable from the shared group's scheduled tasks")
          .isNull();
    } finally {
      shared.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void agentThatStopsReading_doesNotHoldBackTheNextVersionsForTheOthers() throws Exception {
    // A budget and write deadline large enough that the stalled peer stays connected and unwritable,
    // and a pacing bound far beyond WAIT: a fan-out that waited on the stalled peer would never
    // start the next version, so the healthy agent's bounded wait below would fail.
    Controller slowAware = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(AUTH).maxQueuedBytes(256L * 1024 * 1024).writeDeadline(Duration.ofSeconds(60)).build(),
        new InMemoryConfigStore()).fanoutStepWait(Duration.ofHours(1)).build()).start();
    try (RawPeer stalled = new RawPeer(new InetSocketAddress("127.0.0.1", slowAware.port()), 4096)) {
      stalled.handshake(RawPeer.hello("stalled").setServiceName("feeds").setToken("agent-token").build());
      Recorder r = new Recorder();
      Agent agent = Agent.create(AgentOptions.builder("healthy").services("feeds").token("agent-token")
          .configListener(r).endpoint(new InetSocketAddress("127.0.0.1", slowAware.port())).build()).start();
      closeables.add(agent);
      awaitTrue("both nodes connected",
          () -> slowAware.nodes().stream().filter(NodeView::connected).count() == 2);
      byte[] big = new byte[3 * 1024 * 1024];

      for (int i = 0; i < 5; i++) {
        long version = slowAware.apply("feeds", big);
        assertThat(agent.awaitApplied("feeds", version, WAIT)).as("version %d reached the healthy agent", version)
            .isTrue();
      }

      Session stalledSession = slowAware.sessionsByNode().get("stalled");
      assertThat(stalledSession).as("the stalled peer is still connected").isNotNull();
      assertThat(stalledSession.isWritable()).as("the stalled peer's socket is full").isFalse();
    } finally {
      slowAware.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    }
  }
}
