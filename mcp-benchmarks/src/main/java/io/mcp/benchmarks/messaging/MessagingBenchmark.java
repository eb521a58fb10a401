package io.mcp.benchmarks.messaging;

import io.mcp.benchmarks.Machine;
import io.mcp.core.internal.Transports;
import io.netty.channel.epoll.Epoll;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The messaging load driver: one-way DATA throughput and request/response latency of MCP sessions
 * over loopback, each measured beside a plain Netty length-field baseline ({@link NettyRunner}) in
 * the same run, and printed as a table of MCP value, baseline value, ratio and target.
 *
 * <pre>{@code
 * java -Dio.netty.leakDetection.level=disabled -cp mcp-benchmarks/target/benchmarks.jar \
 *     io.mcp.benchmarks.messaging.MessagingBenchmark [--quick] [--runs 5] [--producer loop] ...
 * }</pre>
 *
 * <p><b>Method.</b> Every run measures one scenario on one side in a fresh JVM (server and client
 * in that JVM, talking over 127.0.0.1), so the JIT profile of one side never shapes the other's
 * code and each side starts from an empty heap. Runs interleave MCP and baseline (MCP first in odd
 * runs, baseline first in even ones), so a drift in machine load touches both; the table shows
 * medians over runs, and per-run ratios of the two sides of a run. Each run has a warm-up that is
 * not counted (10 s by default: on a loaded 2-core host the JIT needs several seconds for MCP's
 * deeper call graph: with 2 s, MCP's one-way rate over 100 connections varied between 0.4 and 1.1
 * M/s from run to run, with 8 s it stayed within 1.3 to 1.4 M/s), then a fixed window (5 s).
 *
 * <ul>
 *   <li><b>one-way</b>: producer thread(s) ({@link OneWayProducer}, the same loop for both sides)
 *       send 64-byte bodies round-robin over 1 or 100 connections in bursts; the server counts
 *       what it receives; the rate is received messages per second in the window. Backpressure is
 *       respected as a user would: a connection that is not writable (or that MCP refuses with
 *       OVERLOADED) ends its burst, and a round that sent nothing parks the producer for 10 µs;
 *       those events are counted. MCP: {@code session.send("t", body)}, futures ignored unless
 *       already failed; server handler {@code onAsync("t")} increments a counter. Baseline: a
 *       pooled buffer written with the void promise, flushed at the end of each burst. With {@code
 *       --producer loop} one producer runs as tasks on the client's event loop instead, so no send
 *       crosses threads. A second after an MCP run's window, it prints how many sessions still
 *       hold queued bytes: with nothing left to send, those were written but never flushed.
 *   <li><b>latency</b>: one connection, one request outstanding; the next request is sent from the
 *       previous one's completion callback on the client's event loop, so no thread hand-off is
 *       measured (join() from another thread would add a park/unpark to every round trip on both
 *       sides). Every round trip of the window is kept (a {@code long[]}), sorted, and the
 *       nearest-rank p50/p99/p99.9 reported. MCP: {@code session.request("echo", body, 30 s)}
 *       against an {@code onAsync("echo")} handler replying with the request body. Baseline:
 *       ping-pong with an 8-byte correlation id, server echoes the buffer.
 *   <li><b>in-flight</b>: the same, keeping 100 requests in flight on one connection; the rate is
 *       responses per second. The baseline correlates responses by id through a {@code
 *       LongObjectHashMap} of send times.
 * </ul>
 *
 * <p><b>Fairness.</b> Both sides get event-loop groups from MCP's own {@link Transports} (epoll if
 * it loads, else NIO), the same thread counts (server: {@code --server-threads}, default Netty's 2 ×
 * cores; client: one loop holding every connection, as an {@link io.mcp.core.McpClient} has), the
 * same socket options, the same producer loop and the same message bodies, allocated from the
 * channel's allocator on the producing thread and copied once. What MCP does beyond the baseline is
 * what it is measured for: the envelope (type, kind, flags), per-message futures, the outbound
 * budget, request deadlines and their timers, handler dispatch. The baseline frames with {@code
 * LengthFieldPrepender(4)} (a separate 4-byte buffer per message, as most Netty code does); {@code
 * --baseline-framing inline} writes the length into the message buffer instead, a stricter bar.
 *
 * <p><b>Caveats.</b> Client and server share the machine's cores, so every number is a CPU-cost
 * comparison under contention, not a network measurement; on a loaded host the medians move and the
 * p99 more so (the load average is printed with the results). Wire bytes differ: an MCP one-way
 * message is 86 bytes on the wire (5 header + 17 envelope head + 64 body), the baseline's 69. The
 * baseline has no deadlines, no budget and no per-message future, so it is an upper bound rather
 * than a competing protocol. Latency is closed-loop (service time): it has no coordinated-omission
 * correction and says nothing about latency at a fixed arrival rate.
 *
 * <p>Not thread-safe; a command-line program.
 */
public final class MessagingBenchmark {
  private static final double THROUGHPUT_TARGET = 0.8;
  private static final double LATENCY_TARGET = 1.3;

  private MessagingBenchmark() {}

  public static void main(String[] args) throws Exception {
    DriverOptions options;
    try {
      options = DriverOptions.parse(args);
    } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      if (!"usage".equals(e.getMessage())) {
        System.err.println("error: " + e.getMessage());
      }
      System.err.println("usage: MessagingBenchmark [options]; see the javadoc of DriverOptions:\n"
          + "  --seconds N --warmup-seconds N --runs N --connections 1,100 --in-flight N\n"
          + "  --scenarios one-way,latency,in-flight --body-bytes N --burst N --producers N\n"
          + "  --producer thread|loop\n"
          + "  --server-threads N --baseline-framing prepender|inline --quick --no-fork\n"
          + "  --child-jvm-arg ARG --child-jfr DIR");
      System.exit(2);
      return;
    }
    if (options.childScenario != null) {
      System.out.println("INFO " + transport() + ", gc " + gcNames());
      Measurement m = measure(options, options.childScenario, options.childImplementation, options.childWidth);
      System.out.println(m.toLine());
      System.out.flush();
      System.exit(0);
    }
    new MessagingBenchmark().drive(options);
  }

  static Measurement measure(DriverOptions o, Scenario scenario, Implementation implementation, int width)
      throws Exception {
    return implementation == Implementation.MCP
        ? McpRunner.run(o, scenario, width)
        : NettyRunner.run(o, scenario, width);
  }

  private void drive(DriverOptions o) throws Exception {
    String loadBefore = Machine.loadAverages(" ");
    System.out.println("# MCP messaging benchmark");
    System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, " + Machine.cpuModel() + ", "
        + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + ", " + transport());
    System.out.println("settings: " + o.describe());
    System.out.println("load average before: " + loadBefore);

    List<Job> jobs = new ArrayList<>();
    for (Scenario scenario : o.scenarios) {
      List<Integer> widths = scenario == Scenario.ONE_WAY ? o.connections
          : List.of(scenario == Scenario.LATENCY ? 1 : o.inFlight);
      for (int width : widths) {
        for (int run = 1; run <= o.runs; run++) {
          List<Implementation> order = run % 2 == 1
              ? List.of(Implementation.MCP, Implementation.NETTY)
              : List.of(Implementation.NETTY, Implementation.MCP);
          for (Implementation implementation : order) {
            jobs.add(new Job(scenario, implementation, width, run));
          }
        }
      }
    }
    List<Measurement> results = new ArrayList<>();
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      Measurement m = o.fork ? fork(o, job, i == 0) : measure(o, job.scenario, job.implementation, job.width);
      results.add(m);
      System.out.printf(Locale.ROOT, "[%d/%d] %s run %d %s: %s (load %s)%n", i + 1, jobs.size(), label(m),
          job.run, job.implementation.flag, summary(m), Machine.loadAverages(" "));
    }
    System.out.println();
    System.out.println(table(o, results));
    System.out.println(pairedRatios(o, jobs, results));
    System.out.println(details(results));
    System.out.println("load average after: " + Machine.loadAverages(" "));
  }

  private static final class Job {
    final Scenario scenario;
    final Implementation implementation;
    final int width;
    final int run;

    Job(Scenario scenario, Implementation implementation, int width, int run) {
      this.scenario = scenario;
      this.implementation = implementation;
      this.width = width;
      this.run = run;
    }
  }

  /** Runs {@code job} in a fresh JVM with this JVM's flags (minus agents and recordings). */
  private static Measurement fork(DriverOptions o, Job job, boolean echoInfo)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    boolean heapGiven = false;
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-XX:StartFlightRecording") || arg.startsWith("-XX:FlightRecorderOptions")
          || arg.startsWith("-agentlib") || arg.startsWith("-javaagent") || arg.startsWith("-Xrunjdwp")) {
        continue;
      }
      heapGiven |= arg.startsWith("-Xmx");
      command.add(arg);
    }
    if (!heapGiven) {
      command.add("-Xms1g");
      command.add("-Xmx1g");
    }
    command.add("-Dio.netty.leakDetection.level=disabled");
    command.addAll(o.childJvmArgs);
    if (o.childJfrDir != null) {
      Files.createDirectories(Path.of(o.childJfrDir));
      command.add("-XX:StartFlightRecording=settings=profile,filename=" + Path.of(o.childJfrDir,
          job.scenario.flag + "-" + job.width + "-" + job.implementation.flag + "-" + job.run + ".jfr"));
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(MessagingBenchmark.class.getName());
    command.addAll(o.childArgs(job.scenario, job.implementation, job.width));
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Measurement result = null;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith(Measurement.PREFIX)) {
          result = Measurement.parse(line);
        } else if (!line.startsWith("INFO ") || echoInfo) {
          System.out.println("    | " + line);
        }
      }
    }
    if (!process.waitFor(o.warmupSeconds + o.seconds + 120L, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("run " + job.scenario.flag + "/" + job.implementation.flag + " hung");
    }
    if (process.exitValue() != 0 || result == null) {
      throw new IllegalStateException("run " + job.scenario.flag + "/" + job.implementation.flag
          + " failed with exit code " + process.exitValue());
    }
    return result;
  }

  // ---------------------------------------------------------------- report

  private static String table(DriverOptions o, List<Measurement> results) {
    StringBuilder t = new StringBuilder();
    t.append("| scenario | MCP | baseline | ratio | target | met? |\n");
    t.append("|---|---:|---:|---:|---|---|\n");
    int body = o.bodyBytes;
    for (Scenario scenario : o.scenarios) {
      List<Integer> widths = scenario == Scenario.ONE_WAY ? o.connections
          : List.of(scenario == Scenario.LATENCY ? 1 : o.inFlight);
      for (int width : widths) {
        List<Measurement> mcp = select(results, scenario, Implementation.MCP, width);
        List<Measurement> netty = select(results, scenario, Implementation.NETTY, width);
        switch (scenario) {
          case ONE_WAY:
            rateRow(t, "one-way " + body + " B, " + width + (width == 1 ? " connection" : " connections")
                + (o.producerOnLoop ? ", producer on event loop" : "") + ", msg/s", mcp, netty, true);
            break;
          case LATENCY:
            latencyRow(t, "request/response " + body + " B, 1 connection, p50", mcp, netty, m -> m.p50Nanos, true);
            latencyRow(t, "request/response " + body + " B, 1 connection, p99", mcp, netty, m -> m.p99Nanos, true);
            latencyRow(t, "request/response " + body + " B, 1 connection, p99.9", mcp, netty, m -> m.p999Nanos,
                false);
            rateRow(t, "request/response " + body + " B, 1 in flight, req/s", mcp, netty, false);
            break;
          default:
            rateRow(t, "request/response " + body + " B, " + width + " in flight, req/s", mcp, netty, false);
            latencyRow(t, "request/response " + body + " B, " + width + " in flight, p50", mcp, netty,
                m -> m.p50Nanos, false);
            latencyRow(t, "request/response " + body + " B, " + width + " in flight, p99", mcp, netty,
                m -> m.p99Nanos, false);
            break;
        }
      }
    }
    return t.toString();
  }

  private static void rateRow(StringBuilder t, String name, List<Measurement> mcp, List<Measurement> netty,
      boolean targeted) {
    double m = median(mcp, Measurement::ratePerSecond);
    double n = median(netty, Measurement::ratePerSecond);
    double ratio = m / n;
    t.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f× | %s | %s |%n", name, rate(m), rate(n), ratio,
        targeted ? "≥ " + THROUGHPUT_TARGET + "×" : "(reported)",
        targeted ? (ratio >= THROUGHPUT_TARGET ? "yes" : "**no**") : "—"));
  }

  private static void latencyRow(StringBuilder t, String name, List<Measurement> mcp, List<Measurement> netty,
      ToDoubleFunction<Measurement> nanos, boolean targeted) {
    double m = median(mcp, nanos);
    double n = median(netty, nanos);
    double ratio = m / n;
    t.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f× | %s | %s |%n", name, micros(m), micros(n), ratio,
        targeted ? "≤ " + LATENCY_TARGET + "×" : "(reported)",
        targeted ? (ratio <= LATENCY_TARGET ? "yes" : "**no**") : "—"));
  }

  /**
   * MCP over baseline per run: the two sides of one run ran back to back, so these ratios see
   * nearly the same machine load, unlike the ratio of medians in the table.
   */
  private static String pairedRatios(DriverOptions o, List<Job> jobs, List<Measurement> results) {
    StringBuilder p = new StringBuilder("Paired ratios, MCP / baseline, run by run (median in brackets):\n");
    for (Scenario scenario : o.scenarios) {
      List<Integer> widths = scenario == Scenario.ONE_WAY ? o.connections
          : List.of(scenario == Scenario.LATENCY ? 1 : o.inFlight);
      for (int width : widths) {
        if (scenario == Scenario.LATENCY) {
          p.append(paired(jobs, results, scenario, width, "latency p50", m -> m.p50Nanos));
          p.append(paired(jobs, results, scenario, width, "latency p99", m -> m.p99Nanos));
        } else {
          p.append(paired(jobs, results, scenario, width,
              (scenario == Scenario.ONE_WAY ? "one-way x" : "in-flight x") + width + " rate",
              Measurement::ratePerSecond));
        }
      }
    }
    return p.toString();
  }

  private static String paired(List<Job> jobs, List<Measurement> results, Scenario scenario, int width,
      String name, ToDoubleFunction<Measurement> metric) {
    List<Double> ratios = new ArrayList<>();
    for (int run = 1; ; run++) {
      Measurement mcp = null;
      Measurement netty = null;
      for (int i = 0; i < jobs.size(); i++) {
        Job job = jobs.get(i);
        if (job.scenario == scenario && job.width == width && job.run == run) {
          if (job.implementation == Implementation.MCP) {
            mcp = results.get(i);
          } else {
            netty = results.get(i);
          }
        }
      }
      if (mcp == null || netty == null) {
        break;
      }
      ratios.add(metric.applyAsDouble(mcp) / metric.applyAsDouble(netty));
    }
    double[] sorted = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double median = sorted.length == 0 ? Double.NaN : sorted.length % 2 == 1 ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return String.format(Locale.ROOT, "  %s: %s [%.2f]%n", name,
        ratios.stream().map(r -> String.format(Locale.ROOT, "%.2f", r)).collect(Collectors.joining(", ")), median);
  }

  private static String details(List<Measurement> results) {
    StringBuilder d = new StringBuilder("Per run (rate; p50/p99/p99.9 µs; producer not-writable/refused/parks):\n");
    for (Measurement m : results) {
      d.append("  ").append(label(m)).append(' ').append(m.implementation.flag).append(": ").append(summary(m))
          .append('\n');
    }
    return d.toString();
  }

  private static String label(Measurement m) {
    switch (m.scenario) {
      case ONE_WAY:
        return "one-way x" + m.width;
      case LATENCY:
        return "latency";
      default:
        return "in-flight x" + m.width;
    }
  }

  private static String summary(Measurement m) {
    String s = rate(m.ratePerSecond()) + "/s";
    if (m.scenario == Scenario.ONE_WAY) {
      return s + String.format(Locale.ROOT, "; backoff %d/%d/%d", m.notWritable, m.refused, m.parks);
    }
    return s + "; " + micros(m.p50Nanos) + "/" + micros(m.p99Nanos) + "/" + micros(m.p999Nanos) + " µs ("
        + m.samples + " samples" + (m.droppedSamples > 0 ? ", " + m.droppedSamples + " not kept" : "") + ")";
  }

  private static List<Measurement> select(List<Measurement> results, Scenario scenario,
      Implementation implementation, int width) {
    return results.stream()
        .filter(m -> m.scenario == scenario && m.implementation == implementation && m.width == width)
        .collect(Collectors.toList());
  }

  static double median(List<Measurement> runs, ToDoubleFunction<Measurement> metric) {
    double[] values = runs.stream().mapToDouble(metric).sorted().toArray();
    if (values.length == 0) {
      return Double.NaN;
    }
    int mid = values.length / 2;
    return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  }

  private static String rate(double perSecond) {
    if (perSecond >= 1e6) {
      return String.format(Locale.ROOT, "%.2f M", perSecond / 1e6);
    }
    return String.format(Locale.ROOT, "%.1f k", perSecond / 1e3);
  }

  private static String micros(double nanos) {
    return String.format(Locale.ROOT, "%.1f", nanos / 1e3);
  }

  // ---------------------------------------------------------------- machine facts

  private static String transport() {
    return Transports.epollAvailable() ? "transport epoll"
        : "transport nio (epoll unavailable: " + Epoll.unavailabilityCause() + ")";
  }

  private static String gcNames() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .map(GarbageCollectorMXBean::getName)
        .collect(Collectors.joining(", "));
  }
}
