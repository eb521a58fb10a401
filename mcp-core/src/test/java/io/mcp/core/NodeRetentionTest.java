package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.auth.Authenticators;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Disconnected nodes are forgotten after the retention (by the controller's clock), safely. */
class NodeRetentionTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    volatile Instant now = Instant.parse("2026-11-26T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  final ManualClock clock = new ManualClock();
  final InMemoryConfigStore store = new InMemoryConfigStore();
  Controller controller;

  @AfterEach
  void stop() throws Exception {
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  Controller start(Duration retention) {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.staticToken("agent-token")).build(), store)
        .clock(clock).disconnectedNodeRetention(retention).build()).start();
    return controller;
  }

  Agent agent(String nodeId, List<String> applied) {
    return Agent.create(AgentOptions.builder(nodeId).services("payments").token("agent-token")
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build())
        .configListener((service, version, config) -> {
          String text = StandardCharsets.UTF_8.decode(config).toString();
          if (text.startsWith("bad")) {
            throw new IllegalArgumentException("cannot parse " + text);
          }
          applied.add(service + "@" + version);
        }).build()).start();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    io.mcp.core.Await.until(what, WAIT, condition);
  }

  boolean connected(String nodeId) {
    return controller.nodes().stream().anyMatch(n -> n.nodeId().equals(nodeId) && n.connected());
  }

  @Test
  void disconnectedNodesAreForgottenAfterTheRetention_connectedOnesNever_andAReturningNodeGetsNoRejectedVersion()
      throws Exception {
    start(Duration.ofHours(1));
    List<String> gone = new CopyOnWriteArrayList<>();
    List<String> staying = new CopyOnWriteArrayList<>();
    Agent leaving = agent("leaving", gone);
    Agent stays = agent("stays", staying);
    await("both connected", () -> connected("leaving") && connected("stays"));
    long good = controller.apply("payments", "limit=1".getBytes(StandardCharsets.UTF_8));
    controller.awaitRollout("payments", good, RolloutCondition.all(), WAIT);
    long bad = controller.apply("payments", "bad".getBytes(StandardCharsets.UTF_8));
    controller.awaitRollout("payments", bad, RolloutCondition.all(), WAIT);
    assertThat(gone).containsExactly("payments@" + good);
    leaving.close();
    await("leaving disconnected", () -> !connected("leaving"));

    clock.now = clock.now.plus(Duration.ofMinutes(59));
    assertThat(controller.forgetDisconnectedNodes()).isZero();
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertThat(controller.forgetDisconnectedNodes()).isEqualTo(1);
    assertThat(controller.nodes()).extracting(NodeView::nodeId).containsExactly("stays");

    // It comes back after being forgotten: known again from its Hello and the ledger; the version
    // it rejected is not pushed to it again (no NACK loop), the next one is.
    List<String> back = new CopyOnWriteArrayList<>();
    try (Agent again = Agent.create(AgentOptions.builder("leaving").services("payments").token("agent-token")
        .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
        .configListener((service, version, config) -> back.add(service + "@" + version)).build()).start()) {
      await("leaving back", () -> connected("leaving"));
      NodeView view = controller.nodes("payments").stream().filter(n -> n.nodeId().equals("leaving")).findFirst()
          .orElseThrow();
      assertThat(view.rejections().get("payments").version()).isEqualTo(bad);
      long next = controller.apply("payments", "limit=2".getBytes(StandardCharsets.UTF_8));
      assertThat(again.awaitApplied("payments", next, WAIT)).isTrue();
      assertThat(back).doesNotContain("payments@" + bad);
    } finally {
      stays.close();
    }
  }

  @Test
  void zeroRetentionKeepsEveryNode() throws Exception {
    start(Duration.ZERO);
    Agent agent = agent("node-1", new CopyOnWriteArrayList<>());
    await("connected", () -> connected("node-1"));
    agent.close();
    await("disconnected", () -> !connected("node-1"));
    clock.now = clock.now.plus(Duration.ofDays(365));
    assertThat(controller.forgetDisconnectedNodes()).isZero();
    assertThat(controller.nodes()).extracting(NodeView::nodeId).containsExactly("node-1");
  }

  @Test
  void negativeRetention_isRejectedNamingTheValue() {
    controller = start(Duration.ofHours(1)); // for @AfterEach
    ControllerOptions.Builder builder = ControllerOptions.builder(controller.server().options(), store);
    assertThatThrownBy(() -> builder.disconnectedNodeRetention(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
  }
}
