package io.mcp.benchmarks.grpc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Drives a {@link UnaryTarget} in a closed loop at a fixed concurrency: either {@code concurrency}
 * asynchronous calls kept in flight (each completion starts the next call from the completing
 * thread), or {@code concurrency} threads each making blocking calls back to back. After a warm-up,
 * every call that completes inside the measuring window is counted and its latency (start to
 * completion, {@code System.nanoTime()}) recorded; calls that straddle the window's start are
 * counted but their latency is also recorded, those that complete after its end are not.
 *
 * <p>Not thread-safe; one run at a time.
 */
final class ClosedLoop {
  /** How a run makes its calls. */
  enum Mode {
    ASYNC("async stub"),
    BLOCKING("blocking stub");

    final String label;

    Mode(String label) {
      this.label = label;
    }
  }

  /** One run's outcome: successful calls and failures inside the window, and sorted latencies. */
  record Result(String target, Mode mode, int concurrency, long calls, long failures, double seconds,
      long[] sortedNanos, String firstFailure) {
    double qps() {
      return calls / seconds;
    }

    long p50() {
      return LatencySamples.percentile(sortedNanos, 50);
    }

    long p99() {
      return LatencySamples.percentile(sortedNanos, 99);
    }
  }

  private static final int WARMUP = 0;
  private static final int MEASURE = 1;
  private static final int STOP = 2;

  private final UnaryTarget target;
  private final Mode mode;
  private final int concurrency;
  private final Duration warmup;
  private final Duration window;
  private volatile int phase = WARMUP;
  private volatile long windowStart;
  private final AtomicLong calls = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private final LatencySamples samples;

  ClosedLoop(UnaryTarget target, Mode mode, int concurrency, Duration warmup, Duration window, int maxSamples) {
    this.target = target;
    this.mode = mode;
    this.concurrency = concurrency;
    this.warmup = warmup;
    this.window = window;
    this.samples = new LatencySamples(maxSamples);
  }

  Result run() throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(concurrency);
    List<Thread> threads = new ArrayList<>();
    if (mode == Mode.ASYNC) {
      for (int i = 0; i < concurrency; i++) {
        startAsync(stopped);
      }
    } else {
      for (int i = 0; i < concurrency; i++) {
        Thread thread = new Thread(() -> {
          try {
            blockingLoop();
          } finally {
            stopped.countDown();
          }
        }, "closed-loop-" + i);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
      }
    }
    Thread.sleep(warmup.toMillis());
    windowStart = System.nanoTime();
    phase = MEASURE;
    Thread.sleep(window.toMillis());
    phase = STOP;
    long windowEnd = System.nanoTime();
    long measuredCalls = calls.get();
    long measuredFailures = failures.get();
    long[] sorted = samples.sorted();
    if (!stopped.await(60, TimeUnit.SECONDS)) {
      System.out.println("warning: " + stopped.getCount() + " callers still busy 60 s after the window");
    }
    return new Result(target.label(), mode, concurrency, measuredCalls, measuredFailures,
        (windowEnd - windowStart) / 1e9, sorted, firstFailure.get());
  }

  private void startAsync(CountDownLatch stopped) {
    long start = System.nanoTime();
    target.startAsync(error -> {
      completed(start, error);
      if (phase == STOP) {
        stopped.countDown();
      } else {
        startAsync(stopped);
      }
    });
  }

  private void blockingLoop() {
    while (phase != STOP) {
      long start = System.nanoTime();
      Throwable error = null;
      try {
        target.callBlocking();
      } catch (RuntimeException e) {
        error = e;
      }
      completed(start, error);
    }
  }

  private void completed(long start, Throwable error) {
    long end = System.nanoTime();
    if (phase != MEASURE) {
      return;
    }
    if (error != null) {
      failures.incrementAndGet();
      firstFailure.compareAndSet(null, error.toString());
      return;
    }
    calls.incrementAndGet();
    samples.record(end - start);
  }
}
