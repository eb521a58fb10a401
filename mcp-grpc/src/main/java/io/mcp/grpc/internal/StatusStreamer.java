package io.mcp.grpc.internal;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.mcp.grpc.proto.StatusUpdate;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Writes status updates to one StreamStatus call under gRPC flow control.
 *
 * <p>Updates are written only while the call is ready; otherwise they wait in a queue of at most
 * {@code queueLimit} updates. When that is full, updates are coalesced: only the newest per node is
 * kept (node-less updates, such as the controller's own LAGGED events, are kept one per kind), and
 * once the queue has drained a LAGGED update, whose detail counts the updates that went through
 * coalescing, announces them before they are written.
 *
 * <p>The snapshot ({@code SNAPSHOT} updates and the closing {@code SNAPSHOT_END}) is never
 * coalesced and never waits behind the limit: it is queued in full and in order, so a reader always
 * gets every node of the snapshot and then {@code SNAPSHOT_END}, whatever the fleet size. Its size
 * is bounded by the fleet, like the coalesced updates.
 *
 * <p>A reader that takes nothing for {@code lagTimeout} while updates wait is given up on: the
 * waiting updates are dropped, a last LAGGED update whose detail counts them is written, and the
 * call fails with RESOURCE_EXHAUSTED naming the timeout and the queue limit. Memory per call is
 * therefore bounded by the queue limit, the snapshot, and one update per node.
 *
 * <p>Thread-safe: {@link #offer} may be called from any thread; writes to the call are serialised.
 */
public final class StatusStreamer {
  private final ServerCallStreamObserver<StatusUpdate> call;
  private final int queueLimit;
  private final long lagTimeoutNanos;
  private final ScheduledExecutorService timer;
  private final Clock clock;
  private final ArrayDeque<StatusUpdate> queue = new ArrayDeque<>();
  /** Keyed by node id (a String) or, for node-less updates, by their kind (a Kind, never equal to a String). */
  private final Map<Object, StatusUpdate> coalesced = new LinkedHashMap<>();
  private long coalescedSinceSignal;
  private long sequence;
  /** Updates written so far; the lag check compares it to tell a slow reader from a stuck one. */
  private long written;
  private long writtenWhenChecked;
  private boolean done;
  private ScheduledFuture<?> lagCheck;
  private Runnable onDone = () -> {};

  /** A streamer whose LAGGED updates carry the system clock's time. */
  public StatusStreamer(ServerCallStreamObserver<StatusUpdate> call, int queueLimit, long lagTimeoutNanos,
      ScheduledExecutorService timer) {
    this(call, queueLimit, lagTimeoutNanos, timer, Clock.systemUTC());
  }

  /**
   * A streamer writing to {@code call}.
   *
   * @param queueLimit updates that may wait before coalescing starts, at least 1
   * @param lagTimeoutNanos how long a reader may take nothing while updates wait, positive
   * @param timer runs the lag check
   * @param clock the time of the LAGGED updates this streamer makes
   */
  public StatusStreamer(ServerCallStreamObserver<StatusUpdate> call, int queueLimit, long lagTimeoutNanos,
      ScheduledExecutorService timer, Clock clock) {
    if (queueLimit < 1) {
      throw new IllegalArgumentException("queueLimit " + queueLimit + " must be positive");
    }
    if (lagTimeoutNanos <= 0) {
      throw new IllegalArgumentException("lagTimeoutNanos " + lagTimeoutNanos + " must be positive");
    }
    this.call = call;
    this.queueLimit = queueLimit;
    this.lagTimeoutNanos = lagTimeoutNanos;
    this.timer = timer;
    this.clock = clock;
    call.setOnReadyHandler(this::drain);
    call.setOnCancelHandler(this::cancelled);
  }

  /** Runs {@code onDone} once the call ends (cancelled by the reader, or given up on). */
  public void onDone(Runnable onDone) {
    this.onDone = onDone;
  }

  /** Queues {@code update}; never blocks. */
  public void offer(StatusUpdate update) {
    synchronized (this) {
      if (done) {
        return;
      }
      if (isSnapshot(update) || (queue.size() < queueLimit && coalesced.isEmpty())) {
        queue.add(update);
      } else {
        Object key = update.hasNode() ? update.getNode().getNodeId() : update.getKind();
        coalesced.remove(key); // re-inserted last: the map keeps the order of the newest updates
        coalesced.put(key, update);
        coalescedSinceSignal++;
      }
    }
    drain();
  }

  private static boolean isSnapshot(StatusUpdate update) {
    return update.getKind() == StatusUpdate.Kind.SNAPSHOT || update.getKind() == StatusUpdate.Kind.SNAPSHOT_END;
  }

  /** Writes what the call can take now. */
  public void drain() {
    synchronized (this) {
      while (!done && call.isReady()) {
        StatusUpdate next = queue.poll();
        if (next == null && !coalesced.isEmpty()) {
          if (coalescedSinceSignal > 0) {
            next = lagged(coalescedSinceSignal);
            coalescedSinceSignal = 0;
          }
          Iterator<StatusUpdate> it = coalesced.values().iterator();
          while (it.hasNext() && queue.size() < queueLimit) {
            queue.add(it.next());
            it.remove();
          }
          if (next == null) {
            next = queue.poll();
          }
        }
        if (next == null) {
          break;
        }
        call.onNext(next.toBuilder().setSequence(++sequence).build());
        written++;
      }
      boolean backlog = !queue.isEmpty() || !coalesced.isEmpty();
      if (!done && backlog && lagCheck == null) {
        scheduleLagCheck();
      } else if (!backlog && lagCheck != null) {
        lagCheck.cancel(false);
        lagCheck = null;
      }
    }
  }

  private StatusUpdate lagged(long count) {
    return StatusUpdate.newBuilder().setKind(StatusUpdate.Kind.LAGGED).setDetail(Long.toString(count))
        .setTimeUnixMs(clock.millis()).build();
  }

  /** Under the lock. */
  private void scheduleLagCheck() {
    writtenWhenChecked = written;
    lagCheck = timer.schedule(this::checkLag, lagTimeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void checkLag() {
    synchronized (this) {
      lagCheck = null;
      if (done || (queue.isEmpty() && coalesced.isEmpty())) {
        return;
      }
      if (written != writtenWhenChecked || call.isReady()) {
        scheduleLagCheck(); // slow but reading: give it another full period
        return;
      }
      done = true;
      int waiting = queue.size() + coalesced.size();
      queue.clear();
      coalesced.clear();
      // Written past isReady: one small message, so the reader learns how much it lost.
      call.onNext(lagged(waiting).toBuilder().setSequence(++sequence).build());
      call.onError(Status.RESOURCE_EXHAUSTED.withDescription("status reader read nothing for "
          + TimeUnit.NANOSECONDS.toMillis(lagTimeoutNanos) + " ms (statusLagTimeout) while " + waiting
          + " updates were waiting (statusQueueLimit " + queueLimit + "); they were dropped").asRuntimeException());
    }
    onDone.run();
  }

  private void cancelled() {
    synchronized (this) {
      if (done) {
        return; // already given up on, and onDone ran then
      }
      done = true;
      queue.clear();
      coalesced.clear();
      if (lagCheck != null) {
        lagCheck.cancel(false);
        lagCheck = null;
      }
    }
    onDone.run();
  }

  /** Updates waiting: queued and coalesced. */
  public synchronized int backlog() {
    return queue.size() + coalesced.size();
  }
}
