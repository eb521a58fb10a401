package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.auth.Authenticators;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rollout step that fails on the rollout thread (a rollback to a version the store pruned, a
 * push the server refuses) ends its rollout with the reason in {@link RolloutResult#outcome}
 * instead of vanishing in the executor. Over real loopback sockets.
 */
class RolloutFailureTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  /** Far beyond any wait of this test: a result before it is not a timeout. */
  static final Duration AWAIT_DEADLINE = Duration.ofMinutes(10);

  final List<Agent> agents = new ArrayList<>();
  Controller controller;

  @AfterEach
  void stop() throws Exception {
    for (Agent agent : agents) {
      agent.close();
    }
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  void start(ServerOptions.Builder server, InMemoryConfigStore store, int agentCount) throws Exception {
    controller = Controller.create(ControllerOptions.builder(server.host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).build(), store).build()).start();
    for (int i = 0; i < agentCount; i++) {
      agents.add(Agent.create(AgentOptions.builder("node-" + i).services("api").token("agent-token")
          .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
          .configListener((service, version, config) -> {
            String text = StandardCharsets.UTF_8.decode(config).toString();
            if (text.startsWith("bad")) {
              throw new IllegalArgumentException("cannot parse " + text);
            }
          }).build()).start());
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(NodeView::connected).count() < agentCount
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void autoRollbackToAPrunedVersion_rolloutSaysTheRollbackFailed() throws Exception {
    InMemoryConfigStore store = new InMemoryConfigStore(1, Clock.systemUTC());
    start(ServerOptions.builder(), store, 2);
    long good = controller.apply("api", text("good"));
    assertThat(controller.awaitRollout("api", good, RolloutCondition.all(), WAIT).satisfied()).isTrue();

    long bad = controller.apply("api", text("bad everywhere"),
        RolloutPolicies.withAutoRollback(RolloutPolicies.allAtOnce(), 0.5));
    RolloutResult answers = controller.awaitRollout("api", bad, RolloutCondition.all(), WAIT);
    assertThat(answers.rejected()).containsOnlyKeys("node-0", "node-1");
    controller.awaitRolloutThread(WAIT); // the evaluation was queued before the last answer was counted

    assertThat(controller.awaitRollout("api", bad, RolloutCondition.all(), Duration.ZERO).outcome())
        .isEqualTo("rollback_failed: 2 of 2 nodes rejected, above 0.5; rolling back to version " + good
            + " failed: version " + good + " of api is not in the history");
    assertThat(store.latest("api").orElseThrow().version()).isEqualTo(bad);
  }

  @Test
  void pushTheServerRefuses_rolloutFailed_awaitRolloutEndsWithTheReason() throws Exception {
    start(ServerOptions.builder().maxPayloadBytes(1024), new InMemoryConfigStore(), 1);

    long big = controller.apply("api", new byte[4096]);
    RolloutResult result = CompletableFuture.supplyAsync(
            () -> controller.awaitRollout("api", big, RolloutCondition.all(), AWAIT_DEADLINE))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(result.satisfied()).isFalse();
    assertThat(result.timedOut()).containsExactly("node-0");
    assertThat(result.outcome()).startsWith("failed: the push of wave 1 failed: ")
        .contains("exceeds max payload 1024");
  }
}
