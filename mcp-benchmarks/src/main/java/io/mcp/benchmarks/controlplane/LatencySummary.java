package io.mcp.benchmarks.controlplane;

import java.util.Arrays;
import java.util.Locale;

/**
 * Percentiles of a set of durations in microseconds, by the nearest-rank method on the sorted
 * samples. Immutable.
 */
final class LatencySummary {
  private final long[] sortedMicros;

  private LatencySummary(long[] sortedMicros) {
    this.sortedMicros = sortedMicros;
  }

  /** Summarizes {@code micros[0..count)}; the array is copied. */
  static LatencySummary of(long[] micros, int count) {
    long[] copy = Arrays.copyOf(micros, count);
    Arrays.sort(copy);
    return new LatencySummary(copy);
  }

  int count() {
    return sortedMicros.length;
  }

  /** The {@code p}-th percentile (0 < p ≤ 100), or -1 without samples. */
  long percentileMicros(double p) {
    if (sortedMicros.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * sortedMicros.length);
    return sortedMicros[Math.max(0, Math.min(sortedMicros.length - 1, rank - 1))];
  }

  long maxMicros() {
    return sortedMicros.length == 0 ? -1 : sortedMicros[sortedMicros.length - 1];
  }

  long minMicros() {
    return sortedMicros.length == 0 ? -1 : sortedMicros[0];
  }

  /** Microseconds as milliseconds with up to three decimals, or "n/a" for -1. */
  static String millis(long micros) {
    if (micros < 0) {
      return "n/a";
    }
    return String.format(Locale.ROOT, micros < 10_000 ? "%.3f" : micros < 100_000 ? "%.2f" : "%.1f",
        micros / 1000.0);
  }
}
