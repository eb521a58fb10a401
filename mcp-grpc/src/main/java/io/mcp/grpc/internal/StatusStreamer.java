package io.mcp.grpc.internal;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.mcp.grpc.proto.StatusUpdate;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Writes status updates to one StreamStatus call under gRPC flow control. Updates are written only
 * while the call is ready; otherwise they wait in a bounded queue. When that is full, updates are
 * coalesced by node (only the newest per node is kept) and a LAGGED update announces it. A reader
 * that stays not-ready for the lag timeout is failed with RESOURCE_EXHAUSTED. Memory per call is
 * bounded by the queue plus one update per node.
 */
public final class StatusStreamer {
  private final ServerCallStreamObserver<StatusUpdate> call;
  private final int queueLimit;
  private final long lagTimeoutNanos;
  private final ScheduledExecutorService timer;
  private final ArrayDeque<StatusUpdate> queue = new ArrayDeque<>();
  private final Map<String, StatusUpdate> coalesced = new LinkedHashMap<>();
  private long coalescedSinceSignal;
  private long sequence;
  private boolean done;
  private ScheduledFuture<?> lagCheck;
  private Runnable onDone = () -> {};

  public StatusStreamer(ServerCallStreamObserver<StatusUpdate> call, int queueLimit, long lagTimeoutNanos,
      ScheduledExecutorService timer) {
    this.call = call;
    this.queueLimit = queueLimit;
    this.lagTimeoutNanos = lagTimeoutNanos;
    this.timer = timer;
    call.setOnReadyHandler(this::drain);
    call.setOnCancelHandler(this::cancelled);
  }

  public void onDone(Runnable onDone) {
    this.onDone = onDone;
  }

  /** Queues {@code update}; never blocks. */
  public void offer(StatusUpdate update) {
    synchronized (this) {
      if (done) {
        return;
      }
      if (queue.size() < queueLimit && coalesced.isEmpty()) {
        queue.add(update);
      } else {
        String key = update.getNode().getNodeId();
        coalesced.remove(key);
        coalesced.put(key, update);
        coalescedSinceSignal++;
      }
    }
    drain();
  }

  /** Writes what the call can take now. */
  public void drain() {
    synchronized (this) {
      while (!done && call.isReady()) {
        StatusUpdate next = queue.poll();
        if (next == null && !coalesced.isEmpty()) {
          next = StatusUpdate.newBuilder().setKind(StatusUpdate.Kind.LAGGED)
              .setDetail(Long.toString(coalescedSinceSignal)).setTimeUnixMs(System.currentTimeMillis()).build();
          coalescedSinceSignal = 0;
          Iterator<StatusUpdate> it = coalesced.values().iterator();
          while (it.hasNext() && queue.size() < queueLimit) {
            queue.add(it.next());
            it.remove();
          }
        }
        if (next == null) {
          break;
        }
        call.onNext(next.toBuilder().setSequence(++sequence).build());
      }
      boolean backlog = !queue.isEmpty() || !coalesced.isEmpty();
      if (!done && backlog && lagCheck == null) {
        lagCheck = timer.schedule(this::checkLag, lagTimeoutNanos, TimeUnit.NANOSECONDS);
      } else if (!backlog && lagCheck != null) {
        lagCheck.cancel(false);
        lagCheck = null;
      }
    }
  }

  private void checkLag() {
    synchronized (this) {
      lagCheck = null;
      if (done || call.isReady() || (queue.isEmpty() && coalesced.isEmpty())) {
        return;
      }
      done = true;
      queue.clear();
      coalesced.clear();
      call.onError(Status.RESOURCE_EXHAUSTED.withDescription("status reader read nothing for "
          + TimeUnit.NANOSECONDS.toMillis(lagTimeoutNanos) + " ms while updates were waiting").asRuntimeException());
    }
    onDone.run();
  }

  private void cancelled() {
    synchronized (this) {
      done = true;
      queue.clear();
      coalesced.clear();
      if (lagCheck != null) {
        lagCheck.cancel(false);
      }
    }
    onDone.run();
  }

  public synchronized int backlog() {
    return queue.size() + coalesced.size();
  }
}
