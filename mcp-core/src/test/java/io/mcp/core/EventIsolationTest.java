package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.auth.Authenticators;
import io.mcp.core.internal.EventHub;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fleet listeners that block forever: they must delay only their own subscriptions, never
 * awaitRollout nor the other subscribers. Over real loopback sockets.
 */
class EventIsolationTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  /** Far beyond any wait of this test: a result before it is not a timeout. */
  static final Duration AWAIT_DEADLINE = Duration.ofMinutes(10);

  final CountDownLatch release = new CountDownLatch(1);
  final List<Agent> agents = new ArrayList<>();
  Controller controller;

  @BeforeEach
  void start() {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).build(), new InMemoryConfigStore()).build())
        .start();
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    for (Agent agent : agents) {
      agent.close();
    }
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  void agent(String nodeId) {
    agents.add(Agent.create(AgentOptions.builder(nodeId).services("payments").token("agent-token")
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .configListener((service, version, config) -> { })
        .build()).start());
  }

  @Test
  void blockingSubscribers_awaitRolloutAndAFastSubscriberUnaffected() throws Exception {
    // More blockers than the delivery pool has threads, so that every one of them is held.
    int poolThreads = EventHub.defaultThreads();
    int blockers = Math.max(8, poolThreads + 4);
    CountDownLatch inside = new CountDownLatch(poolThreads);
    for (int i = 0; i < blockers; i++) {
      controller.subscribe(e -> {
        inside.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      });
    }
    LinkedBlockingQueue<FleetEvent> fast = new LinkedBlockingQueue<>();
    controller.subscribe(fast::add);

    agent("node-0");
    assertThat(inside.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("every pool thread is held").isTrue();
    agent("node-1");
    agent("node-2");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(NodeView::connected).count() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    long version = controller.apply("payments", new byte[] {1, 2, 3});

    CompletableFuture<RolloutResult> waiting = CompletableFuture.supplyAsync(
        () -> controller.awaitRollout("payments", version, RolloutCondition.all(), AWAIT_DEADLINE));
    RolloutResult result = waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS); // long before its deadline
    assertThat(result.satisfied()).isTrue();
    assertThat(result.acked()).containsExactly("node-0", "node-1", "node-2");

    List<String> seen = new ArrayList<>();
    deadline = System.nanoTime() + WAIT.toNanos();
    while (seen.size() < 6 && System.nanoTime() < deadline) {
      FleetEvent e = fast.poll(100, TimeUnit.MILLISECONDS);
      if (e != null && (e.type() == FleetEvent.Type.CONNECTED || e.type() == FleetEvent.Type.APPLIED)) {
        seen.add(e.type() + " " + e.nodeId());
      }
    }
    assertThat(seen).containsExactlyInAnyOrder("CONNECTED node-0", "CONNECTED node-1", "CONNECTED node-2",
        "APPLIED node-0", "APPLIED node-1", "APPLIED node-2");
  }
}
