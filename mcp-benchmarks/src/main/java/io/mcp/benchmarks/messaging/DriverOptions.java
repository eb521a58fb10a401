package io.mcp.benchmarks.messaging;

import java.util.ArrayList;
import java.util.List;

/**
 * Command-line settings of {@link MessagingBenchmark}. Parsed once, never changed afterwards.
 *
 * <pre>
 * --seconds N            measured window per run (default 5)
 * --warmup-seconds N     traffic before the window, not counted (default 10; see MessagingBenchmark)
 * --runs N               runs per scenario and side, interleaved MCP/baseline (default 3)
 * --connections A,B      connection counts of the one-way scenario (default 1,100)
 * --in-flight N          requests kept in flight by the throughput scenario (default 100)
 * --scenarios X,Y        one-way, latency, in-flight (default all)
 * --body-bytes N         message body (default 64)
 * --burst N              messages a producer sends to one connection before moving on (default 64)
 * --producers N          one-way producer threads; connections are split between them (default 1)
 * --producer P           thread: producer thread(s), every send crosses threads (default);
 *                        loop: one producer running as tasks on the client's event loop
 * --server-threads N     server event loops, both sides; 0 = Netty's default, 2 x cores (default 0)
 * --baseline-framing F   prepender: LengthFieldPrepender(4), a separate 4-byte buffer per message
 *                        (default); inline: the producer writes the length into the message buffer
 * --quick                1 s warm-up, 1 s window, 1 run: a sanity check, not a result
 * --no-fork              run everything in this JVM instead of one fresh JVM per run
 * --child-jvm-arg ARG    extra JVM argument for forked runs (repeatable), e.g. -XX:+UseParallelGC
 * --child-jfr DIR        record a JFR profile of every forked run into DIR
 * </pre>
 */
final class DriverOptions {
  int seconds = 5;
  int warmupSeconds = 10;
  int runs = 3;
  List<Integer> connections = List.of(1, 100);
  int inFlight = 100;
  List<Scenario> scenarios = List.of(Scenario.ONE_WAY, Scenario.LATENCY, Scenario.IN_FLIGHT);
  int bodyBytes = 64;
  int burst = 64;
  int producers = 1;
  boolean producerOnLoop;
  int serverThreads;
  /** Whether the baseline frames with {@code LengthFieldPrepender} (true) or writes the length itself. */
  boolean prepender = true;
  boolean quick;
  boolean fork = true;
  final List<String> childJvmArgs = new ArrayList<>();
  String childJfrDir;
  /** Set in a forked run: what to measure. */
  Scenario childScenario;
  Implementation childImplementation;
  int childWidth;

  static DriverOptions parse(String[] args) {
    DriverOptions o = new DriverOptions();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--seconds":
          o.seconds = positive(arg, args[++i]);
          break;
        case "--warmup-seconds":
          o.warmupSeconds = nonNegative(arg, args[++i]);
          break;
        case "--runs":
          o.runs = positive(arg, args[++i]);
          break;
        case "--connections": {
          List<Integer> list = new ArrayList<>();
          for (String c : args[++i].split(",")) {
            list.add(positive(arg, c.trim()));
          }
          o.connections = List.copyOf(list);
          break;
        }
        case "--in-flight":
          o.inFlight = positive(arg, args[++i]);
          break;
        case "--scenarios": {
          List<Scenario> list = new ArrayList<>();
          for (String s : args[++i].split(",")) {
            list.add(Scenario.of(s.trim()));
          }
          o.scenarios = List.copyOf(list);
          break;
        }
        case "--body-bytes":
          o.bodyBytes = nonNegative(arg, args[++i]);
          break;
        case "--burst":
          o.burst = positive(arg, args[++i]);
          break;
        case "--producers":
          o.producers = positive(arg, args[++i]);
          break;
        case "--producer": {
          String producer = args[++i];
          if (!producer.equals("thread") && !producer.equals("loop")) {
            throw new IllegalArgumentException("--producer " + producer + " (expected thread or loop)");
          }
          o.producerOnLoop = producer.equals("loop");
          break;
        }
        case "--server-threads":
          o.serverThreads = nonNegative(arg, args[++i]);
          break;
        case "--baseline-framing": {
          String framing = args[++i];
          if (!framing.equals("prepender") && !framing.equals("inline")) {
            throw new IllegalArgumentException("--baseline-framing " + framing + " (expected prepender or inline)");
          }
          o.prepender = framing.equals("prepender");
          break;
        }
        case "--quick":
          o.quick = true;
          break;
        case "--no-fork":
          o.fork = false;
          break;
        case "--child-jvm-arg":
          o.childJvmArgs.add(args[++i]);
          break;
        case "--child-jfr":
          o.childJfrDir = args[++i];
          break;
        case "--child":
          o.childScenario = Scenario.of(args[++i]);
          o.childImplementation = Implementation.of(args[++i]);
          o.childWidth = positive(arg, args[++i]);
          break;
        case "--help":
        case "-h":
          throw new IllegalArgumentException("usage");
        default:
          throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    if (o.quick) {
      o.seconds = 1;
      o.warmupSeconds = 1;
      o.runs = 1;
    }
    return o;
  }

  /** The arguments of a forked run measuring one scenario on one side. */
  List<String> childArgs(Scenario scenario, Implementation implementation, int width) {
    return List.of("--seconds", Integer.toString(seconds), "--warmup-seconds", Integer.toString(warmupSeconds),
        "--body-bytes", Integer.toString(bodyBytes), "--burst", Integer.toString(burst),
        "--producers", Integer.toString(producers), "--server-threads", Integer.toString(serverThreads),
        "--baseline-framing", prepender ? "prepender" : "inline",
        "--producer", producerOnLoop ? "loop" : "thread",
        "--child", scenario.flag, implementation.flag, Integer.toString(width));
  }

  /** A human-readable summary for the report header. */
  String describe() {
    return (quick ? "QUICK (a sanity check, not a result): " : "")
        + "window " + seconds + " s after " + warmupSeconds + " s warm-up, " + runs + " run(s) per side, "
        + "body " + bodyBytes + " B, burst " + burst + ", "
        + (producerOnLoop ? "producer on the client event loop" : producers + " producer thread(s)") + ", "
        + "server threads " + (serverThreads == 0 ? "Netty default (2 x cores)" : serverThreads) + ", "
        + "baseline framing " + (prepender ? "LengthFieldPrepender(4)" : "inline length") + ", "
        + (fork ? "one fresh JVM per run" : "single JVM");
  }

  private static int positive(String option, String value) {
    int v = Integer.parseInt(value);
    if (v < 1) {
      throw new IllegalArgumentException(option + " " + v + " must be at least 1");
    }
    return v;
  }

  private static int nonNegative(String option, String value) {
    int v = Integer.parseInt(value);
    if (v < 0) {
      throw new IllegalArgumentException(option + " " + v + " must not be negative");
    }
    return v;
  }
}
