package io.mcp.benchmarks.sessions;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads this JVM's live heap and resident set size.
 *
 * <p>The live heap is the heap in use just after a full collection, as the collector itself
 * reports it ({@code GcInfo.getMemoryUsageAfterGc}, summed over the heap pools), so allocation
 * between the collection and the reading is not counted. {@code System.gc()} is repeated until two
 * readings agree within 64 KiB (at most 10 times). RSS is {@code VmRSS} of {@code
 * /proc/self/status}, -1 where there is none, read after {@code jcmd System.trim_native_heap} when
 * asked to: that returns the native memory glibc's malloc keeps after it was freed (by the JIT and
 * the GC, mostly), which would otherwise show up as growth no session owns. Call from one thread at
 * a time.
 */
final class MemoryProbe {
  private static final long STABLE_BYTES = 64 * 1024;
  private static final int MAX_COLLECTIONS = 10;

  private MemoryProbe() {}

  /**
   * A reading: live heap after a full GC, and right after it {@code VmRSS} and its anonymous part
   * {@code RssAnon} (RSS without mapped files such as the JVM's libraries and class data archive,
   * whose pages the kernel may drop and reload at any time).
   */
  record Snapshot(long heapBytes, long rssBytes, long rssAnonBytes) {}

  /**
   * Live heap; then, once the JIT has compiled nothing for 6 s (at most 60 s of waiting) and so has
   * given its scratch memory back, RSS after trimming the native heap if {@code trimNativeHeap}.
   */
  static Snapshot measure(boolean trimNativeHeap) throws InterruptedException {
    long heap = liveHeapBytes();
    if (!awaitJitQuiet(Duration.ofSeconds(6), Duration.ofSeconds(60))) {
      System.err.println("warning: the JIT was still compiling when RSS was read");
    }
    if (trimNativeHeap) {
      try {
        Jcmd.run("System.trim_native_heap");
      } catch (IOException e) {
        System.err.println("warning: native heap not trimmed: " + e.getMessage());
      }
    }
    return new Snapshot(heap, procStatusBytes("VmRSS:"), procStatusBytes("RssAnon:"));
  }

  /**
   * Waits until the JIT's total compilation time has not moved for {@code quiet}: compilations in
   * progress hold arena memory, which the JVM frees only some seconds after they end. False if
   * {@code max} passed first, or the JVM does not report compilation time.
   */
  static boolean awaitJitQuiet(Duration quiet, Duration max) throws InterruptedException {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
      return false;
    }
    long deadline = System.nanoTime() + max.toNanos();
    long last = jit.getTotalCompilationTime();
    long quietSince = System.nanoTime();
    while (System.nanoTime() - quietSince < quiet.toNanos()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      Thread.sleep(250);
      long now = jit.getTotalCompilationTime();
      if (now != last) {
        last = now;
        quietSince = System.nanoTime();
      }
    }
    return true;
  }

  /** The heap in use after a full GC, once it is stable. */
  static long liveHeapBytes() throws InterruptedException {
    long previous = -1;
    long reading = -1;
    for (int i = 0; i < MAX_COLLECTIONS; i++) {
      reading = collectAndRead();
      if (previous >= 0 && Math.abs(reading - previous) <= STABLE_BYTES) {
        break;
      }
      previous = reading;
      Thread.sleep(100);
    }
    return reading;
  }

  private static long collectAndRead() {
    List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
    long[] counts = new long[collectors.size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = collectors.get(i).getCollectionCount();
    }
    System.gc();
    long latestEnd = -1;
    long afterGc = -1;
    for (int i = 0; i < counts.length; i++) {
      if (collectors.get(i).getCollectionCount() == counts[i]
          || !(collectors.get(i) instanceof com.sun.management.GarbageCollectorMXBean)) {
        continue;
      }
      var info = ((com.sun.management.GarbageCollectorMXBean) collectors.get(i)).getLastGcInfo();
      if (info != null && info.getEndTime() > latestEnd) {
        latestEnd = info.getEndTime();
        afterGc = heapUsed(info.getMemoryUsageAfterGc());
      }
    }
    // Without the com.sun.management extension: the heap in use now, shortly after the collection.
    return afterGc >= 0 ? afterGc : ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long heapUsed(Map<String, MemoryUsage> usageByPool) {
    Set<String> heapPools = new HashSet<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPools.add(pool.getName());
      }
    }
    long used = 0;
    for (Map.Entry<String, MemoryUsage> pool : usageByPool.entrySet()) {
      if (heapPools.contains(pool.getKey())) {
        used += pool.getValue().getUsed();
      }
    }
    return used;
  }

  /** A field of {@code /proc/self/status} in bytes, or -1 if it cannot be read. */
  static long procStatusBytes(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[1]) * 1024; // the kernel reports kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
