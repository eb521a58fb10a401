package io.mcp.benchmarks.controlplane;

import io.mcp.core.FleetEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Fleet event times by version, in microseconds since the epoch; fed from fleet subscriptions. */
final class EventTimes {
  private final int capacity;
  private final Map<Long, Collector> byVersion = new ConcurrentHashMap<>();

  /** Keeps at most {@code capacity} event times per version. */
  EventTimes(int capacity) {
    this.capacity = capacity;
  }

  void add(FleetEvent event) {
    collector(event.version()).add(micros(event.time()));
  }

  Collector collector(long version) {
    return byVersion.computeIfAbsent(version, v -> new Collector(capacity));
  }

  static long micros(Instant time) {
    return time.getEpochSecond() * 1_000_000 + time.getNano() / 1_000;
  }

  /** Event times of one version. */
  static final class Collector {
    private final long[] times;
    private int count;

    Collector(int capacity) {
      this.times = new long[capacity];
    }

    synchronized void add(long micros) {
      if (count < times.length) {
        times[count++] = micros;
        notifyAll();
      }
    }

    /** Waits until {@code n} events arrived or {@code timeout} passed. */
    synchronized void await(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (count < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    /** Each event's delay after {@code t0Micros}. */
    synchronized long[] delaysMicros(long t0Micros) {
      long[] out = new long[count];
      for (int i = 0; i < count; i++) {
        out[i] = times[i] - t0Micros;
      }
      return out;
    }
  }
}
