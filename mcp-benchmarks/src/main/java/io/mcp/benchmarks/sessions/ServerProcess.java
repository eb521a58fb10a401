package io.mcp.benchmarks.sessions;

import io.mcp.benchmarks.ForkedJvm;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The server JVM of one server kind: starts the server under test, forks the client JVM, and runs
 * the phases (warm-up, baseline, connect, hold, measure). Progress goes to stderr; the result is
 * one {@link RunResult} line on stdout, after the class histogram report if one was asked for.
 * Arguments: {@code <kind> <benchmark options>}.
 */
final class ServerProcess {
  private static final Duration REPLY_TIMEOUT = Duration.ofMinutes(10);

  private static volatile boolean finished;

  private ServerProcess() {}

  public static void main(String[] args) throws Exception {
    ServerKind kind = ServerKind.parse(args[0]);
    BenchmarkOptions options = BenchmarkOptions.parse(Arrays.asList(args).subList(1, args.length));
    exitWhenParentGoes();
    RunResult result = run(kind, options);
    finished = true;
    System.out.println(result.encode());
    System.out.flush();
    System.exit(0);
  }

  private static RunResult run(ServerKind kind, BenchmarkOptions options) throws Exception {
    String tag = "[" + kind.label() + " server] ";
    Consumer<String> stray = line -> System.err.println(tag + "client said: " + line);
    PhaseCounter counter = new PhaseCounter();
    int n = options.sessions;
    try (HeldServer server = HeldServer.start(kind, options, counter);
        ForkedJvm client = ForkedJvm.start(kind.label() + " client", options.clientJvmOptions(), ClientProcess.class,
            concat(List.of(kind.label(), Integer.toString(server.port())), options.args))) {
      log(tag + "listening on 127.0.0.1:" + server.port() + " (" + NettyTransport.name() + "), client JVM pid "
          + client.pid() + ", server JVM pid " + ProcessHandle.current().pid());
      client.expect("ready", REPLY_TIMEOUT, stray);
      // Starts the attach listener thread now, before the baseline.
      boolean jcmd = Jcmd.available();
      if (!jcmd) {
        log(tag + "warning: no jcmd (a JRE?): RSS is read without trimming the native heap");
      }

      // Warm-up: load classes, compile the hot paths, create the allocator's arenas and caches.
      for (int done = 0; done < options.warmupSessions; ) {
        int round = Math.min(n, options.warmupSessions - done);
        client.send("connect " + round);
        log(tag + "warm-up: " + client.expect("connected", REPLY_TIMEOUT, stray));
        client.send("close");
        client.expect("closed", REPLY_TIMEOUT, stray);
        awaitNoConnections(server, tag);
        done += round;
      }
      // Let the JIT's queue drain and the JVM return its compiler arenas (freed every 5 s).
      Thread.sleep(options.settle.toMillis());

      ClassHistogram histogramBefore = options.histogram ? ClassHistogram.ofThisJvm() : null;
      MemoryProbe.Snapshot baseline = MemoryProbe.measure(jcmd);
      if (options.nativeMemory) {
        Jcmd.run("VM.native_memory", "baseline");
      }
      log(tag + "baseline: heap " + mib(baseline.heapBytes()) + ", RSS " + mib(baseline.rssBytes()) + " (anonymous "
          + mib(baseline.rssAnonBytes()) + ")");

      counter.reset();
      client.send("connect " + n);
      String connected = client.expect("connected", REPLY_TIMEOUT, stray);
      boolean allReady = counter.awaitReady(n, Duration.ofSeconds(30));
      Duration acceptToReady = counter.acceptToLastReady();
      int readyAfterConnect = counter.readyCount();
      log(tag + "client: " + connected + "; server: " + readyAfterConnect + " READY in " + acceptToReady.toMillis()
          + " ms from the first accept" + (allReady ? "" : " (NOT ALL READY)"));

      log(tag + "holding for " + options.hold.toSeconds() + " s");
      Thread.sleep(options.hold.toMillis());
      int closedDuringHold = counter.closedCount();
      Map<String, Long> closeReasons = counter.closeReasons();
      MemoryProbe.Snapshot held = MemoryProbe.measure(jcmd);
      log(tag + "after hold: heap " + mib(held.heapBytes()) + ", RSS " + mib(held.rssBytes()) + " (anonymous "
          + mib(held.rssAnonBytes()) + ")");
      int readyAtEnd = server.readySessions();
      int withRtt = server.sessionsWithRtt();
      client.send("status");
      String status = client.expect("status", REPLY_TIMEOUT, stray);
      int clientOpen = Integer.parseInt(status.substring("status open=".length()));
      log(tag + "after hold: READY " + readyAtEnd + "/" + n + ", closed " + closedDuringHold
          + (closeReasons.isEmpty() ? "" : " " + closeReasons) + ", heartbeat RTT measured on "
          + (withRtt < 0 ? "n/a" : withRtt) + ", client sees " + clientOpen + " open");

      if (histogramBefore != null) {
        ClassHistogram histogramAfter = ClassHistogram.ofThisJvm();
        System.out.println();
        System.out.println("Heap growth by class, " + kind.label() + " server, per session (" + n + " sessions):");
        System.out.println();
        histogramAfter.growthReport(histogramBefore, n, options.histogramTop).forEach(System.out::println);
        System.out.println();
      }

      if (options.nativeMemory) {
        System.out.println("Native memory (NMT) growth, " + kind.label() + " server, baseline -> hold:");
        System.out.println(Jcmd.run("VM.native_memory", "summary.diff", "scale=KB"));
      }

      client.send("exit");
      client.expect("bye", REPLY_TIMEOUT, stray);
      return new RunResult(kind, n, readyAfterConnect, acceptToReady.toNanos(), field(connected, "millis"),
          field(connected, "failed"), baseline.heapBytes(), held.heapBytes(), baseline.rssBytes(), held.rssBytes(),
          baseline.rssAnonBytes(), held.rssAnonBytes(),
          readyAtEnd, closedDuringHold, withRtt, clientOpen);
    }
  }

  /** The coordinating JVM holds our stdin open; its EOF means that JVM is gone, so this one goes too. */
  private static void exitWhenParentGoes() {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // Nothing is sent on stdin; only its end matters.
        }
      } catch (IOException e) {
        // Treated as the end.
      }
      if (!finished) {
        System.err.println("server JVM: coordinating JVM gone; exiting");
        System.exit(3);
      }
    }, "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static void awaitNoConnections(HeldServer server, String tag) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (server.openConnections() > 0) {
      if (System.nanoTime() - deadline > 0) {
        log(tag + "warning: " + server.openConnections() + " warm-up connections still open after 30 s");
        return;
      }
      Thread.sleep(10);
    }
  }

  /** The value of {@code name=value} in a client reply. */
  private static long field(String reply, String name) {
    for (String part : reply.split(" ")) {
      if (part.startsWith(name + "=")) {
        return Long.parseLong(part.substring(name.length() + 1));
      }
    }
    throw new IllegalArgumentException("no " + name + " in client reply: " + reply);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static void log(String line) {
    System.err.println(line);
  }
}
