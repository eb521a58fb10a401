package io.mcp.benchmarks.messaging;

import io.netty.channel.EventLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A producer's loop: round-robin over its connections, a burst of up to {@code burst} messages
 * each, as fast as backpressure allows. A connection that is not writable, or refuses a message,
 * ends its burst early; a round that sent nothing backs off for 10 µs, so a blocked producer gives
 * its core away instead of spinning.
 *
 * <p>It runs either on a thread of its own ({@link #onThread}: every send crosses to the event loop,
 * the case the brief asks for) or as a task on the client's event loop ({@link #onLoop}: one round
 * per task, re-submitted so socket I/O runs between rounds; the backoff is a 10 µs scheduled task).
 * Counters are written by the producer and read after {@link #stop()} returned.
 */
final class OneWayProducer {
  private static final long BACKOFF_NANOS = 10_000;

  private final OneWaySink sink;
  private final int first;
  private final int step;
  private final int burst;
  private final Thread thread;
  private final EventLoop loop;
  private final CompletableFuture<Void> finished = new CompletableFuture<>();
  private volatile boolean stopped;

  long notWritable;
  long refused;
  long parks;

  private OneWayProducer(OneWaySink sink, int first, int step, int burst, String threadName, EventLoop loop) {
    this.sink = sink;
    this.first = first;
    this.step = step;
    this.burst = burst;
    this.loop = loop;
    if (loop == null) {
      this.thread = new Thread(this::runOnThread, threadName);
      thread.setDaemon(true);
    } else {
      this.thread = null;
    }
  }

  /** Drives connections {@code first}, {@code first + step}, ... of {@code sink} from a new thread. */
  static OneWayProducer onThread(OneWaySink sink, int first, int step, int burst, String name) {
    return new OneWayProducer(sink, first, step, burst, name, null);
  }

  /** Drives every connection of {@code sink} from tasks on {@code loop}, which must be theirs. */
  static OneWayProducer onLoop(OneWaySink sink, int burst, EventLoop loop) {
    return new OneWayProducer(sink, 0, 1, burst, null, loop);
  }

  void start() {
    if (thread != null) {
      thread.start();
    } else {
      loop.execute(this::runOnLoop);
    }
  }

  /** Stops the producer and waits for it; rethrows what ended it early, if anything did. */
  void stop() throws Exception {
    stopped = true;
    try {
      finished.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("producer failed", e.getCause());
    }
  }

  private void runOnThread() {
    try {
      while (!stopped) {
        if (!round()) {
          parks++;
          LockSupport.parkNanos(BACKOFF_NANOS);
        }
      }
      finished.complete(null);
    } catch (Throwable t) {
      finished.completeExceptionally(t);
    }
  }

  private void runOnLoop() {
    if (stopped) {
      finished.complete(null);
      return;
    }
    try {
      if (round()) {
        loop.execute(this::runOnLoop);
      } else {
        parks++;
        loop.schedule(this::runOnLoop, BACKOFF_NANOS, TimeUnit.NANOSECONDS);
      }
    } catch (Throwable t) {
      finished.completeExceptionally(t);
    }
  }

  /** One pass over the connections; whether anything was sent. */
  private boolean round() {
    int connections = sink.connections();
    boolean progress = false;
    for (int c = first; c < connections; c += step) {
      int sent = 0;
      while (sent < burst) {
        if (!sink.isWritable(c)) {
          notWritable++;
          break;
        }
        if (!sink.send(c)) {
          refused++;
          break;
        }
        sent++;
      }
      if (sent > 0) {
        sink.endBurst(c);
        progress = true;
      }
    }
    return progress;
  }
}
