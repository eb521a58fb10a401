package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.auth.Authenticators;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Nodes that connect while a rollout is under way: they get the newest version they may have on
 * connect, and the rollout's version with its last wave, never stuck on the older one. Over real
 * loopback sockets.
 */
class RolloutLateJoinTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  /** Far beyond any wait of this test: a result before it is not a timeout. */
  static final Duration AWAIT_DEADLINE = Duration.ofMinutes(10);

  final CountDownLatch release = new CountDownLatch(1);
  final CountDownLatch holding = new CountDownLatch(1);
  final List<Agent> agents = new ArrayList<>();
  final List<String> applied = new CopyOnWriteArrayList<>();
  Controller controller;

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    for (Agent agent : agents) {
      agent.close();
    }
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  void start(ServerOptions.Builder server) {
    controller = Controller.create(ControllerOptions.builder(server.host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).build(), new InMemoryConfigStore()).build())
        .start();
  }

  /** An agent that records what it applied; "hold" blocks it until the test releases it. */
  Agent agent(String nodeId) {
    Agent agent = Agent.create(AgentOptions.builder(nodeId).services("web").token("agent-token")
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .configListener((service, version, config) -> {
          String text = StandardCharsets.UTF_8.decode(config).toString();
          if (text.equals("hold")) {
            holding.countDown();
            release.await(60, TimeUnit.SECONDS);
          }
          applied.add(nodeId + "@" + version);
        }).build()).start();
    agents.add(agent);
    return agent;
  }

  void awaitConnected(int count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(NodeView::connected).count() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(controller.nodes().stream().filter(NodeView::connected).count()).isEqualTo(count);
  }

  static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void nodeConnectingDuringTheCanaryWave_getsTheVersionWithTheLastWave() throws Exception {
    start(ServerOptions.builder());
    for (int i = 0; i < 4; i++) {
      agent("node-" + i);
    }
    awaitConnected(4);
    long good = controller.apply("web", text("good"));
    assertThat(controller.awaitRollout("web", good, RolloutCondition.all(), WAIT).satisfied()).isTrue();
    long held = controller.apply("web", text("hold"), RolloutPolicies.canaryPercent(25, Duration.ZERO));
    assertThat(holding.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the canary node-0 applies").isTrue();

    Agent late = agent("node-9"); // not a target when the rollout started
    assertThat(late.awaitApplied("web", good, WAIT)).as("the released version on connect").isTrue();
    release.countDown(); // the canary acknowledges: the last wave goes out

    RolloutResult result = CompletableFuture.supplyAsync(
            () -> controller.awaitRollout("web", held, RolloutCondition.all(), AWAIT_DEADLINE))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(result.acked()).containsExactly("node-0", "node-1", "node-2", "node-3", "node-9");
  }

  @Test
  void nodeConnectingAfterAnAllAtOnceApply_getsThatVersionOnConnect() throws Exception {
    CountDownLatch firstPushStuck = new CountDownLatch(1);
    // Holds the rollout thread inside the first rollout's push, so the next apply's push waits.
    Telemetry holdFirstPush = new Telemetry() {
      @Override
      public RolloutTrace rolloutStarted(String service, long version) {
        return version != 1 ? RolloutTrace.NOOP : new RolloutTrace() {
          @Override
          public void pushed(String nodeId) {
            firstPushStuck.countDown();
            try {
              release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
      }
    };
    start(ServerOptions.builder().telemetry(holdFirstPush));
    agent("node-0");
    awaitConnected(1);
    controller.apply("web", text("one"));
    assertThat(firstPushStuck.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    long two = controller.apply("web", text("two")); // its push is queued behind the stuck one

    Agent late = agent("node-1");

    assertThat(late.awaitApplied("web", two, WAIT)).isTrue();
    assertThat(applied).filteredOn(a -> a.startsWith("node-1@")).containsExactly("node-1@" + two);
  }
}
