package io.mcp.benchmarks.messaging;

import java.util.Arrays;

/**
 * Round-trip times in nanoseconds, kept raw in one preallocated array and sorted once at the end
 * (no histogram, no bucketing error). Samples beyond the capacity are counted but not kept, so the
 * percentiles then describe the start of the window; {@link #dropped()} says whether that happened.
 *
 * <p>Written by one thread (an event loop); read after that thread stopped recording.
 */
final class LatencyRecorder {
  private final long[] samples;
  private int count;
  private long dropped;

  LatencyRecorder(int capacity) {
    this.samples = new long[capacity];
  }

  void record(long nanos) {
    if (count < samples.length) {
      samples[count++] = nanos;
    } else {
      dropped++;
    }
  }

  int count() {
    return count;
  }

  long dropped() {
    return dropped;
  }

  /** Sorts the samples; call once, after recording ended. */
  Percentiles percentiles() {
    Arrays.sort(samples, 0, count);
    return new Percentiles(at(0.50), at(0.99), at(0.999), count, dropped);
  }

  /** The nearest-rank percentile: the smallest sample with at least {@code q} of them at or below. */
  private long at(double q) {
    if (count == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(q * count);
    return samples[Math.max(0, Math.min(count, rank) - 1)];
  }

  /** Percentiles in nanoseconds; -1 when there were no samples. */
  static final class Percentiles {
    final long p50Nanos;
    final long p99Nanos;
    final long p999Nanos;
    final int samples;
    final long dropped;

    Percentiles(long p50Nanos, long p99Nanos, long p999Nanos, int samples, long dropped) {
      this.p50Nanos = p50Nanos;
      this.p99Nanos = p99Nanos;
      this.p999Nanos = p999Nanos;
      this.samples = samples;
      this.dropped = dropped;
    }
  }
}
