package io.mcp.benchmarks.codec;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler that reports CPU time per operation, for comparing benchmarks on a machine that
 * other work shares. JMH's own scores are wall-clock throughput, which falls whenever the
 * benchmark thread waits for a core; CPU time only counts while the thread runs.
 *
 * <ul>
 *   <li>{@code cpu.worker}: CPU time of the benchmark's JMH worker threads, per operation.
 *   <li>{@code cpu.process}: CPU time of the whole benchmark JVM (worker, garbage collector, JIT
 *       compiler, JMH's own threads), per operation; this one includes the cost of collecting what
 *       a benchmark allocates.
 * </ul>
 *
 * <p>Both cover the whole iteration and are divided by all of its operations, as JMH's {@code gc}
 * profiler does. Enable with {@code -prof io.mcp.benchmarks.codec.CpuTimeProfiler}. Used by one
 * benchmark JVM's control thread at a time; not thread-safe.
 */
public final class CpuTimeProfiler implements InternalProfiler {
  private static final String WORKER_MARK = "-jmh-worker-";

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private Map<Long, Long> workerStart = new HashMap<>();
  private long processStart;

  /** Checks that this JVM can measure per-thread CPU time. */
  public CpuTimeProfiler() {
    if (!threads.isThreadCpuTimeSupported()) {
      throw new IllegalStateException("this JVM cannot measure per-thread CPU time");
    }
    threads.setThreadCpuTimeEnabled(true);
  }

  @Override
  public String getDescription() {
    return "CPU time per operation of the benchmark's worker threads and of the whole JVM";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    workerStart = workerCpuNanos();
    processStart = os.getProcessCpuTime();
  }

  @Override
  public Collection<ScalarResult> afterIteration(
      BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
    long processNanos = os.getProcessCpuTime() - processStart;
    long workerNanos = 0;
    for (Map.Entry<Long, Long> worker : workerCpuNanos().entrySet()) {
      // A worker that started during the iteration spent all of its CPU time in it.
      workerNanos += worker.getValue() - workerStart.getOrDefault(worker.getKey(), 0L);
    }
    long ops = result.getMetadata().getAllOps();
    List<ScalarResult> results = new ArrayList<>(2);
    if (ops > 0) {
      results.add(new ScalarResult(
          "cpu.worker", (double) workerNanos / ops, "ns/op", AggregationPolicy.AVG));
      results.add(new ScalarResult(
          "cpu.process", (double) processNanos / ops, "ns/op", AggregationPolicy.AVG));
    }
    return results;
  }

  private Map<Long, Long> workerCpuNanos() {
    Map<Long, Long> cpu = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains(WORKER_MARK)) {
        long nanos = threads.getThreadCpuTime(info.getThreadId());
        if (nanos >= 0) {
          cpu.put(info.getThreadId(), nanos);
        }
      }
    }
    return cpu;
  }
}
