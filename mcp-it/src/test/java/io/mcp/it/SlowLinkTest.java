package io.mcp.it;

import static io.mcp.it.Fleet.awaitOrFail;
import static io.mcp.it.Fleet.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutCondition;
import io.mcp.core.Session;
import io.mcp.it.FaultProxy.Direction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * 500 ms ± 100 ms each way and every segment cut to 1..16 bytes: handshakes, heartbeats and
 * rollouts complete, and no session ends with a false idle or handshake timeout (the round trip,
 * up to 1.2 s, is well inside the 3 s idle timeout and the 5 s handshake timeout).
 */
class SlowLinkTest {
  static final int AGENTS = 3;
  static final Duration WAIT = Duration.ofSeconds(60);

  Fleet fleet;
  FaultProxy proxy;

  @BeforeEach
  void start() {
    fleet = new Fleet(new InMemoryConfigStore(), 1, b -> b);
    fleet.startController();
    proxy = FaultProxy.start(fleet.controllerAddress())
        .latency(Duration.ofMillis(500), Duration.ofMillis(100))
        .slice(1, 16);
  }

  @AfterEach
  void stop() throws Exception {
    fleet.close();
    proxy.close();
  }

  @Test
  void latencyAndTinySegments_handshakesHeartbeatsAndRolloutsComplete_noFalseTimeouts() throws Exception {
    List<Fleet.Recorder> recorders = new ArrayList<>();
    List<Agent> agents = new ArrayList<>();
    for (int i = 0; i < AGENTS; i++) {
      Fleet.Recorder r = new Fleet.Recorder();
      recorders.add(r);
      agents.add(fleet.agent("slow-" + i, "payments", r, Fleet.fastReconnect(), proxy.address()));
    }
    awaitOrFail("every agent READY through the slow link", () -> fleet.connectedNodes() == AGENTS
        && agents.stream().allMatch(a -> a.session().isPresent()), WAIT);
    List<String> sessions = new ArrayList<>();
    for (Agent a : agents) {
      sessions.add(a.session().orElseThrow().id());
    }

    long v1 = fleet.controller.apply("payments", config(1, 16 * 1024));
    assertThat(fleet.controller.awaitRollout("payments", v1, RolloutCondition.all(), WAIT).satisfied()).isTrue();

    // Idle for longer than two idle timeouts: only heartbeats cross the link.
    long quietUntil = System.nanoTime() + Fleet.IDLE_TIMEOUT.multipliedBy(2).toNanos();
    while (System.nanoTime() < quietUntil) {
      Thread.sleep(100);
    }
    long v2 = fleet.controller.apply("payments", config(2, 4 * 1024));
    assertThat(fleet.controller.awaitRollout("payments", v2, RolloutCondition.all(), WAIT).satisfied()).isTrue();

    assertThat(fleet.serverCloses).as("no session ended on the controller").isEmpty();
    for (int i = 0; i < AGENTS; i++) {
      Session s = agents.get(i).session().orElseThrow();
      assertThat(s.id()).as("agent %d kept its first session", i).isEqualTo(sessions.get(i));
      assertThat(recorders.get(i).applied).containsExactly(v1, v2);
      assertThat(recorders.get(i).violations).isEmpty();
    }
    assertThat(fleet.authentications.get()).as("one handshake per agent").isEqualTo(AGENTS);
    // The faults really were applied: tiny segments, and heartbeat round trips of at least 2 × 400 ms.
    assertThat(proxy.maxSegment(Direction.DOWNSTREAM)).isLessThanOrEqualTo(16);
    assertThat(proxy.maxSegment(Direction.UPSTREAM)).isLessThanOrEqualTo(16);
    assertThat(proxy.segmentsForwarded(Direction.DOWNSTREAM)).isGreaterThan((16 + 4) * 1024 * AGENTS / 16);
    List<Duration> rtts = fleet.controller.nodes().stream().map(NodeView::rtt).flatMap(java.util.Optional::stream)
        .toList();
    assertThat(rtts).isNotEmpty().allSatisfy(rtt -> assertThat(rtt).isGreaterThanOrEqualTo(Duration.ofMillis(800)));
    System.out.println("slow link: heartbeat RTTs seen by the controller " + rtts);
  }
}
