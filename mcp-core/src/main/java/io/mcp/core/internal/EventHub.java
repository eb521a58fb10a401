package io.mcp.core.internal;

import io.mcp.core.FleetEvent;
import io.mcp.core.FleetListener;
import io.mcp.core.Subscription;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers fleet events to any number of subscribers without letting one slow subscriber stall the
 * publisher or the others. Each subscription has a bounded queue drained by one task at a time on a
 * shared executor. When the queue is full, new events are coalesced by node (only the newest per
 * node is kept); once the subscriber catches up it receives a LAGGED event, then the coalesced
 * events. Memory per subscription is bounded by the queue size plus one event per node.
 */
public final class EventHub {
  private static final Logger log = LoggerFactory.getLogger(EventHub.class);

  private final Executor executor;
  private final int bufferSize;
  private final Clock clock;
  private final CopyOnWriteArrayList<Sub> subscriptions = new CopyOnWriteArrayList<>();

  public EventHub(Executor executor, int bufferSize, Clock clock) {
    this.executor = executor;
    this.bufferSize = bufferSize;
    this.clock = clock;
  }

  /** Publishes {@code event} to every matching subscription; never blocks. */
  public void publish(FleetEvent event) {
    for (Sub sub : subscriptions) {
      sub.offer(event);
    }
  }

  public Subscription subscribe(FleetListener listener, Predicate<FleetEvent> filter) {
    Sub sub = new Sub(listener, filter);
    subscriptions.add(sub);
    return sub;
  }

  public int subscriberCount() {
    return subscriptions.size();
  }

  private final class Sub implements Subscription, Runnable {
    private final FleetListener listener;
    private final Predicate<FleetEvent> filter;
    private final ArrayDeque<FleetEvent> queue = new ArrayDeque<>();
    private final Map<String, FleetEvent> coalesced = new LinkedHashMap<>();
    private long coalescedCount;
    private long coalescedSinceSignal;
    private boolean scheduled;
    private volatile boolean closed;

    Sub(FleetListener listener, Predicate<FleetEvent> filter) {
      this.listener = listener;
      this.filter = filter;
    }

    void offer(FleetEvent event) {
      if (closed || event.type() != FleetEvent.Type.LAGGED && !filter.test(event)) {
        return;
      }
      synchronized (this) {
        if (queue.size() < bufferSize && coalesced.isEmpty()) {
          queue.add(event);
        } else {
          coalesced.remove(event.nodeId()); // re-insert: keep arrival order of the newest per node
          coalesced.put(event.nodeId(), event);
          coalescedCount++;
          coalescedSinceSignal++;
        }
        if (scheduled) {
          return;
        }
        scheduled = true;
      }
      schedule();
    }

    private void schedule() {
      try {
        executor.execute(this);
      } catch (RuntimeException e) {
        synchronized (this) {
          scheduled = false;
        }
        log.warn("event delivery executor refused a task; events stay queued", e);
      }
    }

    @Override
    public void run() {
      for (int delivered = 0; delivered < 256 && !closed; delivered++) {
        FleetEvent next;
        synchronized (this) {
          next = queue.poll();
          if (next == null && !coalesced.isEmpty()) {
            // Caught up with the queue: signal the lag, then hand over the coalesced events.
            next = new FleetEvent(FleetEvent.Type.LAGGED, null, "", 0,
                Long.toString(coalescedSinceSignal), clock.instant());
            coalescedSinceSignal = 0;
            Iterator<FleetEvent> it = coalesced.values().iterator();
            while (it.hasNext() && queue.size() < bufferSize) {
              queue.add(it.next());
              it.remove();
            }
          }
          if (next == null) {
            scheduled = false;
            return;
          }
        }
        try {
          listener.onEvent(next);
        } catch (RuntimeException e) {
          log.warn("fleet listener {} failed on {}", listener, next.type(), e);
        }
      }
      if (!closed) {
        schedule(); // yield the thread to other subscriptions, then continue
      }
    }

    @Override
    public synchronized long coalescedEvents() {
      return coalescedCount;
    }

    @Override
    public void close() {
      closed = true;
      subscriptions.remove(this);
      synchronized (this) {
        queue.clear();
        coalesced.clear();
      }
    }
  }
}
