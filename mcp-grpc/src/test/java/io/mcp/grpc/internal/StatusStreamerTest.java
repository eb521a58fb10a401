package io.mcp.grpc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mcp.grpc.proto.NodeInfo;
import io.mcp.grpc.proto.StatusUpdate;
import io.mcp.grpc.proto.StatusUpdate.Kind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** StatusStreamer against a call whose readiness the test controls, with a manual scheduler and a fixed clock. */
class StatusStreamerTest {
  static final Duration LAG_TIMEOUT = Duration.ofMillis(500);
  static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

  final ManualScheduler scheduler = new ManualScheduler();
  final AtomicInteger doneRuns = new AtomicInteger();

  StatusStreamer streamer(FakeServerCall<StatusUpdate> call, int queueLimit) {
    StatusStreamer streamer = new StatusStreamer(call, queueLimit, LAG_TIMEOUT.toNanos(), scheduler,
        Clock.fixed(NOW, ZoneOffset.UTC));
    streamer.onDone(doneRuns::incrementAndGet);
    return streamer;
  }

  static StatusUpdate event(Kind kind, String node) {
    return StatusUpdate.newBuilder().setKind(kind).setNode(NodeInfo.newBuilder().setNodeId(node)).build();
  }

  static StatusUpdate nodeless(Kind kind, String detail) {
    return StatusUpdate.newBuilder().setKind(kind).setDetail(detail).build();
  }

  /** "KIND node-or-detail" per written update, in order. */
  static List<String> lines(FakeServerCall<StatusUpdate> call) {
    return call.written.stream()
        .map(u -> u.getKind() + " " + (u.hasNode() ? u.getNode().getNodeId() : u.getDetail()))
        .toList();
  }

  @Test
  void readyCall_writesEveryUpdateInOrder_numberedFromOne() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(100);
    StatusStreamer streamer = streamer(call, 4);

    for (int i = 0; i < 10; i++) {
      streamer.offer(event(Kind.APPLIED, "n" + i));
    }

    assertThat(call.written).extracting(u -> u.getNode().getNodeId())
        .containsExactly("n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9");
    assertThat(call.written).extracting(StatusUpdate::getSequence)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(streamer.backlog()).isZero();
    assertThat(scheduler.pending()).as("no lag check without a backlog").isZero();
  }

  @Test
  void queueFull_newestUpdatePerNodeKept_andLaggedCountsTheCoalescedOnes() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(0);
    StatusStreamer streamer = streamer(call, 3);
    streamer.offer(event(Kind.CONNECTED, "a"));
    streamer.offer(event(Kind.CONNECTED, "b"));
    streamer.offer(event(Kind.CONNECTED, "c"));
    // The queue is full: these are coalesced by node, the newest last.
    streamer.offer(event(Kind.HEALTH_CHANGED, "a"));
    streamer.offer(event(Kind.HEALTH_CHANGED, "b"));
    streamer.offer(event(Kind.APPLIED, "a"));
    streamer.offer(event(Kind.UNHEALTHY, "b"));

    assertThat(call.written).isEmpty();
    assertThat(streamer.backlog()).isEqualTo(3 + 2);

    call.grant(100);

    assertThat(lines(call)).containsExactly(
        "CONNECTED a", "CONNECTED b", "CONNECTED c", "LAGGED 4", "APPLIED a", "UNHEALTHY b");
    assertThat(call.written.get(3).getTimeUnixMs()).isEqualTo(NOW.toEpochMilli());
    assertThat(call.written).extracting(StatusUpdate::getSequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(streamer.backlog()).isZero();
    assertThat(scheduler.pending()).as("the lag check is cancelled once the backlog drained").isZero();
  }

  @Test
  void floodWhileNotReady_backlogBoundedByQueueLimitPlusOnePerNode() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(0);
    StatusStreamer streamer = streamer(call, 4);

    for (int i = 0; i < 10_000; i++) {
      streamer.offer(event(i % 2 == 0 ? Kind.HEALTH_CHANGED : Kind.UNHEALTHY, "node-" + (i % 50)));
    }

    assertThat(streamer.backlog()).isEqualTo(4 + 50);
    call.grant(Integer.MAX_VALUE);
    assertThat(call.written).hasSize(4 + 1 + 50);
    assertThat(lines(call).get(4)).isEqualTo("LAGGED " + (10_000 - 4));
  }

  @Test
  void moreCoalescedNodesThanTheQueueLimit_writtenInBatches_withOneLagged() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(0);
    StatusStreamer streamer = streamer(call, 2);
    for (int i = 0; i < 8; i++) {
      streamer.offer(event(Kind.APPLIED, "n" + i));
    }

    call.grant(Integer.MAX_VALUE);

    assertThat(lines(call)).containsExactly(
        "APPLIED n0", "APPLIED n1", "LAGGED 6", "APPLIED n2", "APPLIED n3", "APPLIED n4", "APPLIED n5",
        "APPLIED n6", "APPLIED n7");
  }

  @Test
  void snapshotLargerThanTheQueue_neverCoalesced_andEndsWithItsOwnSnapshotEnd() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(0);
    StatusStreamer streamer = streamer(call, 2);
    // As StreamStatus does it: subscribed first, so events race the snapshot.
    streamer.offer(event(Kind.APPLIED, "n1"));
    streamer.offer(event(Kind.APPLIED, "n2"));
    streamer.offer(event(Kind.APPLIED, "n3")); // coalesced: the queue is full
    for (int i = 1; i <= 5; i++) {
      streamer.offer(event(Kind.SNAPSHOT, "n" + i));
      if (i == 3) {
        streamer.offer(nodeless(Kind.LAGGED, "7")); // the controller's own LAGGED: no node
        streamer.offer(event(Kind.HEALTH_CHANGED, "n1")); // replaces n1's coalesced update, not its snapshot
      }
    }
    streamer.offer(StatusUpdate.newBuilder().setKind(Kind.SNAPSHOT_END).build());
    streamer.offer(nodeless(Kind.LAGGED, "9")); // a node-less update after the snapshot

    call.grant(Integer.MAX_VALUE);

    assertThat(lines(call)).containsExactly(
        "APPLIED n1", "APPLIED n2",
        "SNAPSHOT n1", "SNAPSHOT n2", "SNAPSHOT n3", "SNAPSHOT n4", "SNAPSHOT n5", "SNAPSHOT_END ",
        "LAGGED 4", "APPLIED n3", "HEALTH_CHANGED n1", "LAGGED 9");
  }

  @Test
  void readerTakesNothingForTheLagTimeout_waitingUpdatesDropped_lastLaggedCountsThem_thenResourceExhausted() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(1);
    StatusStreamer streamer = streamer(call, 3);
    for (int i = 0; i < 6; i++) {
      streamer.offer(event(Kind.APPLIED, "n" + i));
    }
    assertThat(call.written).hasSize(1);
    assertThat(streamer.backlog()).isEqualTo(5); // 3 queued, 2 coalesced

    scheduler.advance(LAG_TIMEOUT.minusNanos(1));
    assertThat(call.error).as("not before the lag timeout").isNull();
    scheduler.advance(Duration.ofNanos(1));

    assertThat(lines(call)).containsExactly("APPLIED n0", "LAGGED 5");
    assertThat(call.error).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e.getStatus().getDescription()).isEqualTo("status reader read nothing for 500 ms"
          + " (statusLagTimeout) while 5 updates were waiting (statusQueueLimit 3); they were dropped");
    });
    assertThat(streamer.backlog()).isZero();
    assertThat(doneRuns).hasValue(1);

    streamer.offer(event(Kind.APPLIED, "late"));
    call.cancel();
    assertThat(call.written).as("nothing after the call ended").hasSize(2);
    assertThat(doneRuns).as("onDone runs once").hasValue(1);
  }

  @Test
  void slowReaderThatKeepsReading_notGivenUp() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(0);
    StatusStreamer streamer = streamer(call, 100);
    for (int i = 0; i < 10; i++) {
      streamer.offer(event(Kind.APPLIED, "n" + i));
    }

    for (int period = 0; period < 5; period++) {
      scheduler.advance(LAG_TIMEOUT.dividedBy(2));
      call.grant(1); // one update per half period: slow, but never stuck for a whole one
      scheduler.advance(LAG_TIMEOUT.dividedBy(2));
    }

    assertThat(call.error).isNull();
    assertThat(call.written).hasSize(5);
    // Now it stops reading: given up one full period after the last check saw progress.
    scheduler.advance(LAG_TIMEOUT.multipliedBy(2));
    assertThat(call.error).isNotNull();
  }

  @Test
  void readerCancels_backlogAndLagCheckReleased_onDoneRunsOnce() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(0);
    StatusStreamer streamer = streamer(call, 2);
    for (int i = 0; i < 5; i++) {
      streamer.offer(event(Kind.APPLIED, "n" + i));
    }
    assertThat(scheduler.pending()).isEqualTo(1);

    call.cancel();
    call.cancel();

    assertThat(streamer.backlog()).isZero();
    assertThat(scheduler.pending()).isZero();
    assertThat(doneRuns).hasValue(1);
    streamer.offer(event(Kind.APPLIED, "late"));
    call.grant(10);
    assertThat(call.written).isEmpty();
  }

  @Test
  void badLimits_refusedNamingTheValue() {
    FakeServerCall<StatusUpdate> call = new FakeServerCall<>(0);
    assertThatThrownBy(() -> new StatusStreamer(call, 0, 1, scheduler))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("queueLimit 0 must be positive");
    assertThatThrownBy(() -> new StatusStreamer(call, 1, 0, scheduler))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("lagTimeoutNanos 0 must be positive");
  }
}
