package io.mcp.benchmarks.sessions;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the server under test saw during one phase: connections accepted, sessions that became
 * READY (for the bare server: connections accepted), connections closed and why, and the times of
 * the first accept and the latest READY. Updated from event loops; read from the driving thread.
 * Thread-safe.
 */
final class PhaseCounter {
  private static final long UNSET = Long.MIN_VALUE;

  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger ready = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();
  private final AtomicLong firstAcceptNanos = new AtomicLong(UNSET);
  private final AtomicLong lastReadyNanos = new AtomicLong(UNSET);
  private final Map<String, LongAdder> closeReasons = new ConcurrentHashMap<>();

  /** Starts a new phase: every count back to zero. Call while no connection is opening or closing. */
  void reset() {
    accepted.set(0);
    ready.set(0);
    closed.set(0);
    firstAcceptNanos.set(UNSET);
    lastReadyNanos.set(UNSET);
    closeReasons.clear();
  }

  void onAccepted() {
    accepted.incrementAndGet();
    firstAcceptNanos.compareAndSet(UNSET, System.nanoTime());
  }

  void onReady() {
    ready.incrementAndGet();
    lastReadyNanos.accumulateAndGet(System.nanoTime(), Math::max);
  }

  void onClosed(String reason) {
    closed.incrementAndGet();
    closeReasons.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  int acceptedCount() {
    return accepted.get();
  }

  int readyCount() {
    return ready.get();
  }

  int closedCount() {
    return closed.get();
  }

  /** Close reasons and how often each was seen, sorted by reason. */
  Map<String, Long> closeReasons() {
    Map<String, Long> sorted = new TreeMap<>();
    closeReasons.forEach((reason, count) -> sorted.put(reason, count.sum()));
    return sorted;
  }

  /** Time from the first accept to the latest READY of this phase; zero if there was none. */
  Duration acceptToLastReady() {
    long first = firstAcceptNanos.get();
    long last = lastReadyNanos.get();
    return first == UNSET || last == UNSET ? Duration.ZERO : Duration.ofNanos(last - first);
  }

  /** Waits until {@code n} sessions of this phase are READY, polling; false on timeout. */
  boolean awaitReady(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ready.get() < n) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }
}
