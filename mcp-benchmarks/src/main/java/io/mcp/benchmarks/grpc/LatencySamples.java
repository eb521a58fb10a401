package io.mcp.benchmarks.grpc;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-call latencies in nanoseconds, recorded into one preallocated array (samples beyond its
 * capacity are counted, not kept), then sorted for percentiles. {@link #record} is thread-safe;
 * {@link #sorted} is called once recording stopped.
 */
final class LatencySamples {
  private final long[] nanos;
  private final AtomicInteger next = new AtomicInteger();

  LatencySamples(int capacity) {
    this.nanos = new long[capacity];
  }

  void record(long latencyNanos) {
    int i = next.getAndIncrement();
    if (i < nanos.length) {
      nanos[i] = latencyNanos;
    }
  }

  /** How many were recorded (kept or not). */
  int count() {
    return next.get();
  }

  /** The kept samples, sorted ascending. */
  long[] sorted() {
    long[] out = Arrays.copyOf(nanos, Math.min(next.get(), nanos.length));
    Arrays.sort(out);
    return out;
  }

  /** The {@code p}th percentile (nearest rank) of sorted samples, or -1 if there are none. */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** Nanoseconds as milliseconds with two decimals, or "n/a" for a negative value. */
  static String millis(long nanos) {
    return nanos < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", nanos / 1e6);
  }
}
