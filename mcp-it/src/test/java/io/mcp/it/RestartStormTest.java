package io.mcp.it;

import static io.mcp.it.Fleet.awaitOrFail;
import static io.mcp.it.Fleet.config;
import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.ConnectionListener;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.RolloutCondition;
import io.mcp.core.Session;
import io.mcp.core.SessionListener;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The controller restarts (graceful shutdown: GOING_AWAY to every agent, 1 s down, then up on the
 * same port and store) under 1,000 connected agents, which run the default {@link
 * ReconnectPolicy}. Reconnects must be spread by the policy's jitter (the peak is measured in
 * 100 ms buckets of handshakes completed on the controller), authentication must run about once
 * per agent (no storm of failed handshakes and retries), and every agent must converge to the
 * version applied right after the restart.
 *
 * <p>The number of agents is {@code -Dmcp.storm.agents} (default 1,000); all of them share one
 * two-thread event loop group, as a host running many agents would.
 */
class RestartStormTest {
  static final int AGENTS = Integer.getInteger("mcp.storm.agents", 1_000);
  static final Duration DOWN = Duration.ofSeconds(1);
  static final Duration WAIT = Duration.ofSeconds(90);
  static final long BUCKET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  static final int BUCKETS = 600; // one minute of 100 ms buckets

  Fleet fleet;

  @BeforeEach
  void start() {
    fleet = new Fleet(new InMemoryConfigStore(), 2, b -> b);
    fleet.startController();
  }

  @AfterEach
  void stop() throws Exception {
    fleet.close();
  }

  @Test
  void controllerRestart_reconnectsSpreadByJitter_noAuthStorm_allConverge() throws Exception {
    List<Fleet.Recorder> recorders = new ArrayList<>();
    List<Agent> agents = new ArrayList<>();
    AtomicLong connectFailures = new AtomicLong();
    ConnectionListener failures = new ConnectionListener() {
      @Override
      public void onConnectFailed(SocketAddress endpoint, Throwable cause) {
        connectFailures.incrementAndGet();
      }
    };
    long startedAt = System.nanoTime();
    for (int i = 0; i < AGENTS; i++) {
      Fleet.Recorder r = new Fleet.Recorder();
      recorders.add(r);
      Agent a = fleet.agent(String.format("node-%04d", i), "web", r, ReconnectPolicy.defaults(),
          fleet.controllerAddress());
      a.connection().addListener(failures);
      agents.add(a);
    }
    awaitOrFail(AGENTS + " agents connected", () -> fleet.connectedNodes() == AGENTS, WAIT);
    long connectMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
    long v1 = fleet.controller.apply("web", config(1, 1_024));
    assertThat(fleet.controller.awaitRollout("web", v1, RolloutCondition.all(), WAIT).satisfied()).isTrue();

    // Restart: every handshake completed on the new controller lands in a 100 ms bucket.
    AtomicLongArray buckets = new AtomicLongArray(BUCKETS);
    long[] restartedAt = new long[1];
    fleet.addServerListener(new SessionListener() {
      @Override
      public void onReady(Session session) {
        int bucket = (int) ((System.nanoTime() - restartedAt[0]) / BUCKET_NANOS);
        buckets.incrementAndGet(Math.min(Math.max(bucket, 0), BUCKETS - 1));
      }
    });
    long stoppingAt = System.nanoTime();
    fleet.stopController();
    long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppingAt);
    Thread.sleep(DOWN.toMillis()); // the controller is down this long: a real restart, not a sleep-as-sync
    fleet.authentications.set(0);
    long failuresWhileDown = connectFailures.get();
    restartedAt[0] = System.nanoTime();
    fleet.startController();
    long v2 = fleet.controller.apply("web", config(2, 1_024));

    awaitOrFail("all agents on v2", () -> agents.stream()
        .allMatch(a -> a.appliedVersion("web").orElse(0) == v2), WAIT);
    long convergeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt[0]);
    awaitOrFail(AGENTS + " agents reconnected", () -> fleet.connectedNodes() == AGENTS, WAIT);

    long peak = 0;
    int peakBucket = 0;
    long total = 0;
    int firstBucket = -1;
    int lastBucket = 0;
    for (int i = 0; i < BUCKETS; i++) {
      long n = buckets.get(i);
      total += n;
      if (n > peak) {
        peak = n;
        peakBucket = i;
      }
      if (n > 0) {
        lastBucket = i;
        if (firstBucket < 0) {
          firstBucket = i;
        }
      }
    }
    long auths = fleet.authentications.get();
    System.out.printf("restart storm: %d agents connected in %d ms; shutdown took %d ms; %d connect failures "
        + "while down; after restart %d handshakes over %d-%d ms, peak %d in one 100 ms bucket (%d/s) at %d ms; "
        + "%d authentications; all on v2 after %d ms%n", AGENTS, connectMs, stopMs, failuresWhileDown, total,
        firstBucket * 100, (lastBucket + 1) * 100, peak, peak * 10, peakBucket * 100, auths, convergeMs);

    assertThat(total).as("every agent reconnected once").isGreaterThanOrEqualTo(AGENTS);
    assertThat(auths).as("about one authentication per agent: no retry storm").isLessThanOrEqualTo(AGENTS + AGENTS / 20);
    assertThat(peak).as("reconnects spread over several 100 ms buckets").isLessThanOrEqualTo(AGENTS / 2);
    for (Fleet.Recorder r : recorders) {
      assertThat(r.violations).isEmpty();
      assertThat(r.last()).isEqualTo(v2);
    }
  }
}
