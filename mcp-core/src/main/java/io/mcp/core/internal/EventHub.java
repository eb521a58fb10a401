package io.mcp.core.internal;

import io.mcp.core.FleetEvent;
import io.mcp.core.FleetListener;
import io.mcp.core.Subscription;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers fleet events to any number of subscribers without letting one slow subscriber stall the
 * publisher or the others. Each subscription has a bounded queue drained by one task at a time on a
 * shared pool. When the queue is full, new events are coalesced by node (only the newest per node
 * is kept); once the subscriber catches up it receives a LAGGED event, then the coalesced events.
 * Memory per subscription is bounded by the queue size plus one event per node.
 *
 * <p>A listener that blocks holds the pool thread it runs on; Java 17 has no virtual threads to
 * park it cheaply. So a watchdog looks at the listener calls in progress every tick: a call still
 * running at the next tick (between one and two ticks long) is stalled, and the pool grows by one
 * thread for as long as it stays stalled. The other subscriptions therefore wait at most two ticks
 * for a thread however many listeners block, while fast listeners keep sharing the fixed threads:
 *
 * <pre>
 *   threads = base + listener calls stalled now       (base: max(4, 2 x cores) by default)
 * </pre>
 *
 * Thread-safe.
 */
public final class EventHub {
  private static final Logger log = LoggerFactory.getLogger(EventHub.class);
  /** How often the watchdog looks for stalled listener calls. */
  public static final long STALL_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** Events one task delivers before it yields its thread to other subscriptions. */
  static final int EVENTS_PER_RUN = 256;

  private final ThreadPoolExecutor pool;
  private final ScheduledExecutorService watchdog;
  private final int baseThreads;
  private final int bufferSize;
  private final Clock clock;
  private final CopyOnWriteArrayList<Sub> subscriptions = new CopyOnWriteArrayList<>();
  /** Subscriptions whose delivery task is running now: what the watchdog looks at. */
  private final Set<Sub> delivering = ConcurrentHashMap.newKeySet();
  private final Object sizing = new Object();
  /** Threads added for stalled calls; guarded by {@link #sizing}. Briefly negative when a release overtakes its grow. */
  private int stalled;

  /**
   * A hub delivering on {@code threads} daemon threads named {@code name}, with a watchdog ticking
   * every {@link #STALL_TICK_NANOS}.
   */
  public EventHub(String name, int threads, int bufferSize, Clock clock) {
    this(name, threads, bufferSize, clock, STALL_TICK_NANOS);
  }

  /** {@code tickNanos <= 0}: no watchdog thread; tests call {@link #checkStalls()} themselves. */
  EventHub(String name, int threads, int bufferSize, Clock clock, long tickNanos) {
    if (threads < 1) {
      throw new IllegalArgumentException("event delivery threads " + threads + " must be at least 1");
    }
    this.baseThreads = threads;
    this.bufferSize = bufferSize;
    this.clock = clock;
    // Unbounded queue: it holds at most one task per subscription.
    this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new DefaultThreadFactory(name, true));
    pool.allowCoreThreadTimeOut(true);
    if (tickNanos > 0) {
      this.watchdog = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory(name + "-watchdog", true));
      watchdog.scheduleWithFixedDelay(this::checkStalls, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
    } else {
      this.watchdog = null;
    }
  }

  /** The default count of delivery threads: {@code max(4, 2 x cores)}. */
  public static int defaultThreads() {
    return Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
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

  /** Threads added to the base because listener calls stalled; 0 when none is stalled. */
  public int stalledThreads() {
    synchronized (sizing) {
      return Math.max(0, stalled);
    }
  }

  /** Stops delivering: queued events are dropped, listener calls in progress are interrupted. */
  public void shutdown() {
    if (watchdog != null) {
      watchdog.shutdownNow();
    }
    pool.shutdownNow();
  }

  /**
   * One watchdog tick: a listener call that was already in progress at the previous tick is
   * stalled, and gets a thread added to the pool until it returns.
   */
  void checkStalls() {
    for (Sub sub : delivering) {
      long call = sub.callsStarted;
      if (sub.inCall && call == sub.seenCall && sub.stalled.compareAndSet(false, true)) {
        resize(1);
        log.debug("fleet listener {} blocks its delivery thread: one more thread for the other subscriptions",
            sub.listener);
        // The call may have returned before the flag was set: then nobody else undoes the growth.
        if ((!sub.inCall || sub.callsStarted != call) && sub.stalled.compareAndSet(true, false)) {
          resize(-1);
        }
      }
      sub.seenCall = call;
    }
  }

  private void resize(int delta) {
    synchronized (sizing) {
      stalled += delta;
      int size = baseThreads + Math.max(0, stalled);
      if (pool.isShutdown()) {
        return;
      }
      if (size >= pool.getMaximumPoolSize()) {
        pool.setMaximumPoolSize(size);
        pool.setCorePoolSize(size); // starts threads for queued tasks
      } else {
        pool.setCorePoolSize(size);
        pool.setMaximumPoolSize(size);
      }
    }
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
    /** Written by the delivering thread only (one at a time), read by the watchdog. */
    private volatile long callsStarted;
    private volatile boolean inCall;
    /** The watchdog's: the call in progress at its previous tick. */
    private long seenCall = -1;
    private final AtomicBoolean stalled = new AtomicBoolean();

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
        pool.execute(this);
      } catch (RuntimeException e) {
        synchronized (this) {
          scheduled = false;
        }
        if (!pool.isShutdown()) {
          log.warn("event delivery pool refused a task; events stay queued", e);
        }
      }
    }

    @Override
    public void run() {
      delivering.add(this);
      try {
        for (int delivered = 0; delivered < EVENTS_PER_RUN && !closed; delivered++) {
          FleetEvent next = next();
          if (next == null) {
            return;
          }
          deliver(next);
        }
      } finally {
        delivering.remove(this);
      }
      if (!closed) {
        schedule(); // yield the thread to other subscriptions, then continue
      }
    }

    /** The next event to deliver, or null after clearing {@code scheduled}. */
    private synchronized FleetEvent next() {
      FleetEvent next = queue.poll();
      if (next == null && !coalesced.isEmpty()) {
        // Caught up with the queue: signal the lag, then hand over the coalesced events.
        next = new FleetEvent(FleetEvent.Type.LAGGED, null, "", 0, Long.toString(coalescedSinceSignal),
            clock.instant());
        coalescedSinceSignal = 0;
        Iterator<FleetEvent> it = coalesced.values().iterator();
        while (it.hasNext() && queue.size() < bufferSize) {
          queue.add(it.next());
          it.remove();
        }
      }
      if (next == null) {
        scheduled = false;
      }
      return next;
    }

    private void deliver(FleetEvent event) {
      callsStarted++; // single writer: the one task of this subscription running now
      inCall = true;
      try {
        listener.onEvent(event);
      } catch (RuntimeException e) {
        log.warn("fleet listener {} failed on {}", listener, event.type(), e);
      } finally {
        inCall = false;
        if (stalled.get() && stalled.compareAndSet(true, false)) {
          resize(-1);
        }
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
