package io.mcp.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.FleetEvent;
import io.mcp.grpc.proto.StatusUpdate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UpdateCacheTest {
  private static FleetEvent event(FleetEvent.Type type, String service, long version) {
    return new FleetEvent(type, null, service, version, "detail-" + version, Instant.ofEpochMilli(1_000 + version));
  }

  @Test
  void sameEventIsConvertedOnceAndSharedByReference() {
    UpdateCache cache = new UpdateCache(64);
    FleetEvent e = event(FleetEvent.Type.APPLIED, "orders", 7);

    StatusUpdate first = cache.update(e);
    StatusUpdate second = cache.update(e);

    assertThat(second).isSameAs(first);
    assertThat(first).isEqualTo(Protos.update(e));
  }

  @Test
  void equalButDistinctEventsAreNotConfused() {
    UpdateCache cache = new UpdateCache(64);
    FleetEvent a = event(FleetEvent.Type.APPLIED, "orders", 7);
    FleetEvent b = event(FleetEvent.Type.APPLIED, "orders", 8);

    assertThat(cache.update(a).getVersion()).isEqualTo(7);
    assertThat(cache.update(b).getVersion()).isEqualTo(8);
    assertThat(cache.update(a).getVersion()).isEqualTo(7);
  }

  @Test
  void laggedIsPerSubscriberAndNeverShared() {
    UpdateCache cache = new UpdateCache(64);
    FleetEvent lagged = event(FleetEvent.Type.LAGGED, "", 0);

    assertThat(cache.update(lagged)).isNotSameAs(cache.update(lagged)).isEqualTo(Protos.update(lagged));
  }

  @Test
  void collisionsOnlyCostAReconversionNeverAWrongMessage() {
    UpdateCache cache = new UpdateCache(1); // every event shares the one slot
    List<FleetEvent> events = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      events.add(event(FleetEvent.Type.APPLIED, "s" + i, i));
    }
    for (int round = 0; round < 3; round++) {
      for (FleetEvent e : events) {
        StatusUpdate u = cache.update(e);
        assertThat(u.getServiceName()).isEqualTo(e.service());
        assertThat(u.getVersion()).isEqualTo(e.version());
      }
    }
  }

  @Test
  void concurrentSubscribersAlwaysSeeTheirEventsMessage() throws Exception {
    UpdateCache cache = new UpdateCache(8);
    List<FleetEvent> events = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      events.add(event(FleetEvent.Type.APPLIED, "svc" + (i % 17), i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          start.await();
          int checked = 0;
          for (FleetEvent e : events) {
            StatusUpdate u = cache.update(e);
            if (u.getVersion() != e.version() || !u.getServiceName().equals(e.service())) {
              throw new AssertionError("event " + e + " got " + u);
            }
            checked++;
          }
          return checked;
        }));
      }
      start.countDown();
      for (Future<Integer> f : results) {
        assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(events.size());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sizeIsRoundedToAPowerOfTwoAndBounded() {
    assertThat(new UpdateCache(1).slots()).isEqualTo(1);
    assertThat(new UpdateCache(2).slots()).isEqualTo(2);
    assertThat(new UpdateCache(3).slots()).isEqualTo(4);
    assertThat(new UpdateCache(1024).slots()).isEqualTo(1024);
    assertThat(new UpdateCache(1025).slots()).isEqualTo(2048);
    assertThatThrownBy(() -> new UpdateCache(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("size 0");
  }
}
