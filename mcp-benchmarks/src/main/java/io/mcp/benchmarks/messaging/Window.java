package io.mcp.benchmarks.messaging;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One measurement window over a running load: sleep through the warm-up, read a monotonic counter,
 * sleep through the window, read it again. The counter is read by this (the main) thread only at the
 * two edges, so it costs the load nothing beyond its own increments.
 */
final class Window {
  final long count;
  final long elapsedNanos;

  private Window(long count, long elapsedNanos) {
    this.count = count;
    this.elapsedNanos = elapsedNanos;
  }

  /**
   * Measures {@code counter} over {@code seconds} after {@code warmupSeconds}; {@code atStart} and
   * {@code atEnd} run right at the window's edges (to switch latency recording on and off).
   */
  static Window measure(LongSupplier counter, int warmupSeconds, int seconds, Runnable atStart, Runnable atEnd)
      throws InterruptedException {
    TimeUnit.SECONDS.sleep(warmupSeconds);
    atStart.run();
    long startCount = counter.getAsLong();
    long startNanos = System.nanoTime();
    TimeUnit.SECONDS.sleep(seconds);
    long endCount = counter.getAsLong();
    long endNanos = System.nanoTime();
    atEnd.run();
    return new Window(endCount - startCount, endNanos - startNanos);
  }
}
