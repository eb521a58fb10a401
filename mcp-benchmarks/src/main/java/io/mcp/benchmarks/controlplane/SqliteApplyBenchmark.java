package io.mcp.benchmarks.controlplane;

import io.mcp.benchmarks.Machine;
import io.mcp.benchmarks.Cli;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.Authenticators;
import io.mcp.store.sqlite.SqliteConfigStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Durable applies: throughput and latency of {@link SqliteConfigStore#append} and of {@link
 * Controller#apply} on a {@link SqliteConfigStore}, one thread and several, beside the raw cost of
 * an fsync on the same disk.
 *
 * <h2>Method</h2>
 *
 * <p>Every case gets a fresh database file in a new directory under {@code --dir} (default {@code
 * java.io.tmpdir}) with the store's defaults (WAL, {@code synchronous=FULL}, 100 versions kept per
 * service). Each thread applies a random ~1 KiB configuration back to back, first for {@code
 * --warmup-seconds} (not recorded), then for {@code --seconds}, timing every call with {@code
 * System.nanoTime()}. Threads use distinct services (with one service, {@code Controller.apply}
 * serializes them under its per-service lock anyway). The cases, in order:
 *
 * <ol>
 *   <li>{@code fsync}: append 1 KiB to a file with {@link FileChannel#write} and {@link
 *       FileChannel#force force(false)} (fdatasync), one thread: the floor a durable commit pays;
 *   <li>{@code store.append}: the store alone, 1 thread, then {@code --threads} threads;
 *   <li>{@code controller.apply}: a started {@link Controller} on the store (127.0.0.1, an ephemeral
 *       port, no agents), so each apply also starts a (empty) rollout and the store's watcher
 *       fires; 1 thread, then {@code --threads} threads.
 * </ol>
 *
 * <h2>Running</h2>
 *
 * <pre>
 * ./mvnw -q -B -pl mcp-benchmarks -am package -DskipTests
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.SqliteApplyBenchmark
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.SqliteApplyBenchmark \
 *     --seconds 5 --threads 8 --dir /var/tmp
 * </pre>
 *
 * <p>A run takes about a minute with the defaults (10 s per case after 2 s of warm-up). The table is
 * printed as Markdown; the exit code is 1 if any apply failed.
 *
 * <h2>Caveats</h2>
 *
 * <ul>
 *   <li>The figures are the disk's: each commit is one or two fdatasyncs of the write-ahead log, and
 *       their cost (virtual disk, host cache, other tenants) dominates. Compare with the {@code
 *       fsync} row of the same run, never across machines.
 *   <li>The store writes through one connection, one transaction at a time, so more threads queue
 *       for the same syncs: throughput stays near one thread's while latency grows with the queue.
 *   <li>Other load on the machine moves the tail; record {@code uptime} with the results.
 * </ul>
 *
 * <p>Not thread-safe; run as a program.
 */
public final class SqliteApplyBenchmark {
  private static final String USAGE = String.join("\n",
      "usage: java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.controlplane.SqliteApplyBenchmark [options]",
      "  --seconds S          measured time per case (default 10)",
      "  --warmup-seconds W   unrecorded time per case before measuring (default 2)",
      "  --threads T          threads of the concurrent cases (default 4)",
      "  --payload-bytes B    configuration size (default 1024)",
      "  --dir DIR            where the database files go (default java.io.tmpdir)");

  private SqliteApplyBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    Duration measure = Duration.ofSeconds(10);
    Duration warmup = Duration.ofSeconds(2);
    int threads = 4;
    int payloadBytes = 1024;
    Path dir = Path.of(System.getProperty("java.io.tmpdir"));
    try {
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (name.equals("--help") || name.equals("-h")) {
          throw new IllegalArgumentException("help");
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        String value = args[++i];
        switch (name) {
          case "--seconds" -> measure = Duration.ofSeconds(positive(name, value));
          case "--warmup-seconds" -> warmup = Duration.ofSeconds(Math.max(0, Integer.parseInt(value)));
          case "--threads" -> threads = positive(name, value);
          case "--payload-bytes" -> payloadBytes = positive(name, value);
          case "--dir" -> dir = Path.of(value);
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
    } catch (IllegalArgumentException e) {
      Cli.exitWithUsage(e, USAGE);
      return;
    }
    Files.createDirectories(dir);
    FileStore disk = Files.getFileStore(dir);
    System.out.println(Machine.describe());
    System.out.println(Machine.loadAverage() + " (at start)");
    System.out.println(String.format(Locale.ROOT, "directory %s (file system %s, %s); payload %d B; %d s per case "
        + "after %d s of warm-up", dir.toAbsolutePath(), disk.name(), disk.type(), payloadBytes, measure.toSeconds(),
        warmup.toSeconds()));

    List<Result> results = new ArrayList<>();
    results.add(run("fsync (write 1 KiB + fdatasync)", 1, dir, warmup, measure, payloadBytes, Kind.FSYNC));
    results.add(run("store.append", 1, dir, warmup, measure, payloadBytes, Kind.STORE));
    results.add(run("store.append", threads, dir, warmup, measure, payloadBytes, Kind.STORE));
    results.add(run("controller.apply", 1, dir, warmup, measure, payloadBytes, Kind.CONTROLLER));
    results.add(run("controller.apply", threads, dir, warmup, measure, payloadBytes, Kind.CONTROLLER));

    System.out.println();
    System.out.println(Machine.loadAverage() + " (at end)");
    System.out.println("| case | threads | operations | per second | p50 (ms) | p99 (ms) | max (ms) | errors |");
    System.out.println("|---|--:|--:|--:|--:|--:|--:|--:|");
    boolean failed = false;
    for (Result r : results) {
      System.out.println(String.format(Locale.ROOT, "| %s | %d | %,d | %,.0f | %s | %s | %s | %d |", r.name, r.threads,
          r.latency.count(), r.latency.count() / (r.elapsedNanos / 1e9),
          LatencySummary.millis(r.latency.percentileMicros(50)), LatencySummary.millis(r.latency.percentileMicros(99)),
          LatencySummary.millis(r.latency.maxMicros()), r.errors));
      if (r.firstError != null) {
        System.out.println("  first error: " + r.firstError);
      }
      failed |= r.errors > 0;
    }
    System.exit(failed ? 1 : 0);
  }

  private enum Kind {
    FSYNC,
    STORE,
    CONTROLLER
  }

  /** One operation of a case; {@code thread} picks the service (or file). */
  @FunctionalInterface
  private interface Operation {
    void run(int thread, byte[] payload) throws Exception;
  }

  private static Result run(String name, int threads, Path dir, Duration warmup, Duration measure, int payloadBytes,
      Kind kind) throws Exception {
    Path caseDir = Files.createTempDirectory(dir, "mcp-sqlite-apply-");
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      Operation operation;
      switch (kind) {
        case FSYNC -> {
          FileChannel[] files = new FileChannel[threads];
          for (int t = 0; t < threads; t++) {
            files[t] = FileChannel.open(caseDir.resolve("fsync-" + t), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            resources.add(files[t]);
          }
          operation = (t, payload) -> {
            ByteBuffer buffer = ByteBuffer.wrap(payload);
            while (buffer.hasRemaining()) {
              files[t].write(buffer);
            }
            files[t].force(false);
          };
        }
        case STORE -> {
          SqliteConfigStore store = SqliteConfigStore.open(caseDir.resolve("config.db"));
          resources.add(store);
          operation = (t, payload) -> store.append("service-" + t, payload);
        }
        case CONTROLLER -> {
          SqliteConfigStore store = SqliteConfigStore.open(caseDir.resolve("config.db"));
          resources.add(store);
          Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder()
              .host("127.0.0.1")
              .port(0)
              .authenticator(Authenticators.staticToken("sqlite-apply-benchmark-token"))
              .build(), store).build()).start();
          resources.add(0, () -> controller.shutdown(Duration.ofSeconds(2)).join());
          operation = (t, payload) -> controller.apply("service-" + t, payload);
        }
        default -> throw new IllegalStateException(kind.name());
      }
      Result result = measure(name, threads, warmup, measure, payloadBytes, operation);
      System.out.println(String.format(Locale.ROOT, "%s, %d thread(s): %,d in %.1f s, p50 %s ms, p99 %s ms, %d errors",
          name, threads, result.latency.count(), result.elapsedNanos / 1e9,
          LatencySummary.millis(result.latency.percentileMicros(50)),
          LatencySummary.millis(result.latency.percentileMicros(99)), result.errors));
      return result;
    } finally {
      for (AutoCloseable resource : resources) {
        resource.close();
      }
      deleteTree(caseDir);
    }
  }

  private static Result measure(String name, int threads, Duration warmup, Duration measure, int payloadBytes,
      Operation operation) throws InterruptedException {
    long[][] samples = new long[threads][];
    int[] counts = new int[threads];
    AtomicInteger errors = new AtomicInteger();
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    long[] window = new long[2]; // measure start, measure end (nanoTime), set before go
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread worker = new Thread(() -> {
        byte[] payload = new byte[payloadBytes];
        Random random = new Random(thread);
        long[] mine = new long[1 << 14];
        int n = 0;
        ready.countDown();
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        while (true) {
          long start = System.nanoTime();
          if (start >= window[1]) {
            break;
          }
          random.nextBytes(payload);
          long begin = System.nanoTime();
          try {
            operation.run(thread, payload);
          } catch (Exception e) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, e);
            continue;
          }
          long end = System.nanoTime();
          if (begin >= window[0] && end <= window[1]) {
            if (n == mine.length) {
              mine = Arrays.copyOf(mine, n * 2);
            }
            mine[n++] = (end - begin) / 1_000;
          }
        }
        samples[thread] = mine;
        counts[thread] = n;
      }, "apply-" + t);
      workers.add(worker);
      worker.start();
    }
    ready.await();
    long now = System.nanoTime();
    window[0] = now + warmup.toNanos();
    window[1] = window[0] + measure.toNanos();
    go.countDown();
    for (Thread worker : workers) {
      worker.join();
    }
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(samples[t], 0, all, at, counts[t]);
      at += counts[t];
    }
    return new Result(name, threads, LatencySummary.of(all, total), measure.toNanos(), errors.get(), firstError.get());
  }

  private record Result(String name, int threads, LatencySummary latency, long elapsedNanos, int errors,
      Throwable firstError) {}

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  private static int positive(String name, String value) {
    try {
      int n = Integer.parseInt(value);
      if (n <= 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " " + value + ": expected a positive number");
    }
  }
}
