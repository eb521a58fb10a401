package io.mcp.it;

import static io.mcp.it.Fleet.awaitOrFail;
import static io.mcp.it.Fleet.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.it.FaultProxy.Direction;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The connection is reset in the middle of a large configuration push — inside the frame header,
 * in the middle of the payload, and a few bytes before its end. The agent must never hand a
 * partial update to its listener (every configuration carries its own SHA-256, checked by the
 * listener), must keep its previous version meanwhile, and must converge after reconnecting.
 */
class ResetMidPushTest {
  static final int SIZE = 512 * 1024;
  static final Duration WAIT = Duration.ofSeconds(30);

  Fleet fleet;
  FaultProxy proxy;

  @BeforeEach
  void start() {
    fleet = new Fleet(new InMemoryConfigStore(), 1, b -> b);
    fleet.startController();
    proxy = FaultProxy.start(fleet.controllerAddress());
  }

  @AfterEach
  void stop() throws Exception {
    fleet.close();
    proxy.close();
  }

  @ParameterizedTest(name = "cut after {0} bytes of the push")
  @ValueSource(ints = {3, SIZE / 2, SIZE - 5})
  void resetDuringPush_noPartialApply_convergesAfterReconnect(int cut) throws Exception {
    Fleet.Recorder recorder = new Fleet.Recorder();
    Agent agent = fleet.agent("node-1", "payments", recorder, Fleet.fastReconnect(), proxy.address());
    long v1 = fleet.controller.apply("payments", config(1, 1_000));
    assertThat(agent.awaitApplied("payments", v1, WAIT)).isTrue();
    // Wait until the ACK is in and the link is quiet, so the next bytes downstream are the push.
    awaitOrFail("v1 acknowledged", () -> fleet.controller.nodes().get(0).appliedVersion("payments") == v1, WAIT);
    Session before = agent.session().orElseThrow();

    proxy.resetAfter(Direction.DOWNSTREAM, cut);
    long v2 = fleet.controller.apply("payments", config(2, SIZE));

    SessionClose close = before.closeFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(close.initiator()).isEqualTo(SessionClose.Initiator.TRANSPORT);
    assertThat(proxy.resets()).isEqualTo(1);
    assertThat(agent.awaitApplied("payments", v2, WAIT)).as("converged after reconnecting").isTrue();
    assertThat(recorder.violations).as("no partial or corrupt update reached the listener").isEmpty();
    assertThat(recorder.applied).containsExactly(v1, v2);
    assertThat(agent.session().orElseThrow().id()).isNotEqualTo(before.id());
  }
}
