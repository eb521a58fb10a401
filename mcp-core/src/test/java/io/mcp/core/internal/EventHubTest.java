package io.mcp.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.FleetEvent;
import io.mcp.core.Health;
import io.mcp.core.NodeView;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Listeners that block their delivery thread: the hub grows by one thread per stalled call, so the
 * other subscriptions keep receiving. Watchdog ticks are driven by hand ({@code checkStalls}).
 */
class EventHubTest {
  static final long WAIT_SECONDS = 10;

  final CountDownLatch release = new CountDownLatch(1);
  EventHub hub;

  @AfterEach
  void stop() {
    release.countDown();
    if (hub != null) {
      hub.shutdown();
    }
  }

  static FleetEvent event(String node, long version) {
    NodeView view = new NodeView(node, Set.of("svc"), Map.of(), "tcp", "s-" + node, true, Map.of(), Map.of(),
        Health.UNKNOWN, Map.of(), Instant.EPOCH, Optional.empty());
    return new FleetEvent(FleetEvent.Type.APPLIED, view, "svc", version, "", Instant.EPOCH);
  }

  /** Subscribes {@code count} listeners that block in their first call until the test ends. */
  CountDownLatch blockers(int count) {
    CountDownLatch inside = new CountDownLatch(count);
    for (int i = 0; i < count; i++) {
      hub.subscribe(e -> {
        inside.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      }, e -> true);
    }
    return inside;
  }

  @Test
  void blockedListenersHoldEveryThread_watchdogAddsThreads_fastSubscriberGetsEveryEvent() throws Exception {
    hub = new EventHub("test-events", 2, 1024, Clock.systemUTC(), 0);
    CountDownLatch firstTwoInside = blockers(2);
    LinkedBlockingQueue<FleetEvent> fast = new LinkedBlockingQueue<>();
    hub.subscribe(fast::add, e -> true);
    CountDownLatch thirdInside = blockers(1);

    hub.publish(event("n1", 1));
    assertThat(firstTwoInside.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    // Both threads are inside a listener; the fast subscription and the third blocker wait in the queue.
    assertThat(fast.poll(0, TimeUnit.SECONDS)).isNull();

    hub.checkStalls(); // first look: the calls in progress are noted
    assertThat(hub.stalledThreads()).isZero();
    hub.checkStalls(); // the same calls still in progress: stalled, one thread each
    assertThat(hub.stalledThreads()).isEqualTo(2);

    assertThat(fast.poll(WAIT_SECONDS, TimeUnit.SECONDS)).isNotNull();
    assertThat(thirdInside.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
    hub.checkStalls();
    hub.checkStalls();
    assertThat(hub.stalledThreads()).isEqualTo(3);
    for (int v = 2; v <= 50; v++) {
      hub.publish(event("n" + v, v));
    }
    for (int v = 2; v <= 50; v++) {
      FleetEvent next = fast.poll(WAIT_SECONDS, TimeUnit.SECONDS);
      assertThat(next).as("event %d reached the fast subscriber", v).isNotNull();
      assertThat(next.version()).isEqualTo(v);
    }

    release.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (hub.stalledThreads() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(hub.stalledThreads()).as("threads given back once the listeners returned").isZero();
  }
}
