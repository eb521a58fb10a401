package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.spi.RolloutPolicy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A canary wave is promoted only when every canary acknowledged: silence and disconnection halt the
 * rollout, and the bake time is waited after the acknowledgements. Four agents over real loopback
 * sockets; canaryPercent(25) makes node-0 the canary.
 */
class CanaryRolloutTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  /** Far beyond any wait of this test: a result before it is not a timeout. */
  static final Duration AWAIT_DEADLINE = Duration.ofMinutes(10);

  final CountDownLatch release = new CountDownLatch(1);
  final CountDownLatch canaryHanging = new CountDownLatch(1);
  final List<Agent> agents = new ArrayList<>();
  Controller controller;
  long good;

  @BeforeEach
  void start() throws Exception {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).build(), new InMemoryConfigStore()).build())
        .start();
    for (int i = 0; i < 4; i++) {
      agents.add(Agent.create(AgentOptions.builder("node-" + i).services("web").token("agent-token")
          .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
          .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMinutes(5)).maxBackoff(Duration.ofMinutes(5)).build())
          .configListener((service, version, config) -> {
            if (StandardCharsets.UTF_8.decode(config).toString().equals("hang")) {
              canaryHanging.countDown();
              release.await(60, TimeUnit.SECONDS); // never answers while the test runs
            }
          }).build()).start());
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(NodeView::connected).count() < 4 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    good = controller.apply("web", text("good"));
    assertThat(controller.awaitRollout("web", good, RolloutCondition.all(), WAIT).satisfied()).isTrue();
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    for (Agent agent : agents) {
      agent.close();
    }
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** canaryPercent(25, bake) with its own wave timeout. */
  static RolloutPolicy canary(Duration bake, Duration waveTimeout) {
    RolloutPolicy canary = RolloutPolicies.canaryPercent(25, bake);
    return new RolloutPolicy() {
      @Override
      public String name() {
        return canary.name();
      }

      @Override
      public List<List<NodeView>> waves(List<NodeView> targets) {
        return canary.waves(targets);
      }

      @Override
      public Duration bakeTime() {
        return canary.bakeTime();
      }

      @Override
      public Duration waveTimeout() {
        return waveTimeout;
      }
    };
  }

  /** awaitRollout(all) with a deadline far away, which must return within {@link #WAIT}. */
  RolloutResult awaitBeforeItsDeadline(long version) throws Exception {
    return CompletableFuture.supplyAsync(
            () -> controller.awaitRollout("web", version, RolloutCondition.all(), AWAIT_DEADLINE))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** The rest (node-1..3) still have the good version, and nothing newer is released. */
  void assertRestNotPushed() throws Exception {
    controller.awaitRolloutThread(WAIT);
    assertThat(controller.releasedVersion("web")).isEqualTo(good);
    assertThat(controller.nodes("web")).filteredOn(n -> !n.nodeId().equals("node-0"))
        .allSatisfy(n -> assertThat(n.appliedVersion("web")).isEqualTo(good));
  }

  String outcomeNow(long version) {
    return controller.awaitRollout("web", version, RolloutCondition.all(), Duration.ZERO).outcome();
  }

  @Test
  void canaryThatStaysSilent_haltsAtTheWaveTimeout_restNotPushed() throws Exception {
    long hang = controller.apply("web", text("hang"), canary(Duration.ZERO, Duration.ofMillis(300)));

    RolloutResult result = awaitBeforeItsDeadline(hang);

    assertThat(canaryHanging.getCount()).isZero();
    assertThat(result.satisfied()).isFalse();
    assertThat(result.acked()).isEmpty();
    assertThat(result.timedOut()).containsExactly("node-0", "node-1", "node-2", "node-3");
    assertThat(result.outcome()).startsWith("halted: wave 1 of 2 not promoted: node-0 did not acknowledge within")
        .endsWith("the other nodes stay on version " + good);
    assertRestNotPushed();
  }

  @Test
  void canaryThatDisconnects_haltsAtOnce_restNotPushed() throws Exception {
    long hang = controller.apply("web", text("hang"), canary(Duration.ZERO, AWAIT_DEADLINE));
    assertThat(canaryHanging.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

    controller.sessionsByNode().get("node-0").close(CloseCode.GOING_AWAY, "canary goes away");
    RolloutResult result = awaitBeforeItsDeadline(hang); // the wave timeout is as far away as the deadline

    assertThat(result.acked()).isEmpty();
    assertThat(result.outcome()).startsWith("halted: wave 1 of 2 not promoted: node-0 disconnected before acknowledging");
    assertRestNotPushed();
  }

  @Test
  void longBake_afterTheCanaryAcked_restStillNotPushed() throws Exception {
    long next = controller.apply("web", text("next"), canary(Duration.ofHours(1), WAIT));

    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!outcomeNow(next).contains("baking") && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }

    assertThat(outcomeNow(next)).isEqualTo("running: wave 1 of 2 acknowledged; baking PT1H before wave 2 of 2");
    assertRestNotPushed();
    RolloutResult now = controller.awaitRollout("web", next, RolloutCondition.all(), Duration.ZERO);
    assertThat(now.acked()).containsExactly("node-0");
    assertThat(now.timedOut()).containsExactly("node-1", "node-2", "node-3");
  }

  @Test
  void shortBake_restPushedAfterTheCanaryAcked() throws Exception {
    long next = controller.apply("web", text("next"), canary(Duration.ofMillis(100), WAIT));

    RolloutResult result = awaitBeforeItsDeadline(next);

    assertThat(result.satisfied()).isTrue();
    assertThat(result.acked()).containsExactly("node-0", "node-1", "node-2", "node-3");
    assertThat(controller.releasedVersion("web")).isEqualTo(next);
  }
}
