package io.mcp.benchmarks.grpc;

import io.mcp.benchmarks.Machine;
import io.mcp.benchmarks.Cli;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.Authenticators;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import io.mcp.grpc.proto.StatusUpdate;
import io.mcp.grpc.proto.StreamRequest;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code StreamStatus}: fleet events per second delivered to 1 and to 100 gRPC subscribers, with
 * how many the controller generated in the same window, how many were coalesced, and how late they
 * arrived.
 *
 * <h2>Method</h2>
 *
 * <p>One JVM holds a {@link Controller} ({@link InMemoryConfigStore}, static-token authenticator,
 * default options: subscriber buffer 1,024, StreamStatus queue 1,024) with a {@link
 * GrpcControlPlaneServer} (default options, token with the admin role), {@code agents} (default 10)
 * in-process {@link Agent}s over TCP sharing one event loop group (2 threads) and handler pool (4
 * threads), each serving {@code generators} services, and {@code generators} (default 2) threads
 * each applying to its own service in a closed loop: {@code controller.apply}, then {@code
 * awaitRollout(all)}. Every apply thus yields one APPLIED event per agent; the generated rate is
 * acknowledgements counted from the rollout results.
 *
 * <p>For each subscriber count (default 1, then 100), that many {@code StreamStatus} calls (every
 * service, every node) are opened, each on its own {@link ControlPlaneClient} channel, and the
 * driver waits for every SNAPSHOT_END. After a warm-up (default 3 s) each subscriber counts, over a
 * window (default 10 s), the updates it received by kind, the events LAGGED notices say were
 * coalesced, and per APPLIED update the delay from its {@code time_unix_ms} (the controller's
 * clock when it handled the ACK) to its arrival, to the millisecond.
 *
 * <h2>Running</h2>
 *
 * <pre>
 * ./mvnw -q -B -pl mcp-benchmarks -am package -Dmaven.test.skip=true
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.StatusStreamBenchmark
 * java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.StatusStreamBenchmark \
 *     --subscribers 1,10,100 --agents 20 --generators 4
 * </pre>
 *
 * <p>A default run takes about 30 s. {@code --help} lists the options.
 *
 * <h2>Caveats</h2>
 *
 * <ul>
 *   <li>The generators are closed loops sharing the cores with the subscribers, so the generated
 *       rate falls as delivery takes CPU: compare delivered with generated in the same row, and
 *       read "delivered = generated, no LAGGED" as "the stream kept up", not as its ceiling.
 *   <li>Agents, controller, gRPC server and subscribers share one JVM and the machine's cores.
 *   <li>Delays use wall clocks at millisecond resolution; both ends are in one JVM, so no skew.
 * </ul>
 *
 * <p>Not thread-safe; run as a program.
 */
public final class StatusStreamBenchmark {
  static final String TOKEN = "grpc-benchmark-token";

  private static final String USAGE = String.join("\n",
      "usage: java -cp mcp-benchmarks/target/benchmarks.jar io.mcp.benchmarks.grpc.StatusStreamBenchmark [options]",
      "  --subscribers N[,N]   subscriber counts, measured in turn (default 1,100)",
      "  --agents K            in-process agents (default 10)",
      "  --generators G        applying threads, one service each (default 2)",
      "  --warmup-seconds W    per subscriber count (default 3)",
      "  --seconds S           measuring window (default 10)");

  private StatusStreamBenchmark() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    List<Integer> subscriberCounts = List.of(1, 100);
    int agents = 10;
    int generators = 2;
    int warmupSeconds = 3;
    int seconds = 10;
    try {
      List<String> list = Arrays.asList(args);
      for (int i = 0; i < list.size(); i++) {
        String name = list.get(i);
        if (name.equals("--help") || name.equals("-h")) {
          throw new IllegalArgumentException("help");
        }
        if (i + 1 >= list.size()) {
          throw new IllegalArgumentException("option " + name + " needs a value");
        }
        String value = list.get(++i);
        switch (name) {
          case "--subscribers" -> subscriberCounts = Arrays.stream(value.split(",")).map(Integer::valueOf).toList();
          case "--agents" -> agents = Integer.parseInt(value);
          case "--generators" -> generators = Integer.parseInt(value);
          case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(value);
          case "--seconds" -> seconds = Integer.parseInt(value);
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
    } catch (IllegalArgumentException e) {
      Cli.exitWithUsage(e, USAGE);
      return;
    }
    System.out.println(MachineFacts.describe());
    System.out.println(Machine.loadAverage() + " (at start)");
    System.out.println(String.format(Locale.ROOT, "agents %d, generators %d (one service each), warm-up %d s, window %d s",
        agents, generators, warmupSeconds, seconds));

    ServerOptions server = ServerOptions.builder().host("127.0.0.1").port(0)
        .authenticator(Authenticators.staticToken(TOKEN)).build();
    Controller controller = Controller.create(ControllerOptions.builder(server, new InMemoryConfigStore()).build()).start();
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1")
        .authenticator(Authenticators.staticToken(TOKEN, Identity.of("benchmark-admin", Set.of("admin"), Set.of())))
        .build()).start();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("agents", true),
        Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    ExecutorService handlers = Executors.newFixedThreadPool(4, new DefaultThreadFactory("agent-handlers", true));
    String[] services = new String[generators];
    for (int g = 0; g < generators; g++) {
      services[g] = "status-" + g;
    }
    List<Agent> fleet = new ArrayList<>();
    for (int i = 1; i <= agents; i++) {
      fleet.add(Agent.create(AgentOptions.builder(String.format(Locale.ROOT, "agent-%03d", i))
          .services(services)
          .endpoint(new InetSocketAddress("127.0.0.1", controller.port()))
          .token(TOKEN)
          .configListener((service, version, config) -> {})
          .client(b -> b.eventLoopGroup(group).handlerExecutor(handlers))
          .build()).start());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (controller.nodes().stream().filter(NodeView::connected).count() < agents) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("agents did not connect within 60 s");
      }
      Thread.sleep(50);
    }

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong generated = new AtomicLong();
    AtomicLong applies = new AtomicLong();
    List<Thread> generatorThreads = new ArrayList<>();
    for (String service : services) {
      Thread thread = new Thread(() -> {
        byte[] data = new byte[100];
        Random random = new Random(service.hashCode());
        while (running.get()) {
          random.nextBytes(data);
          long version = controller.apply(service, data);
          RolloutResult result = controller.awaitRollout(service, version, RolloutCondition.all(), Duration.ofSeconds(10));
          applies.incrementAndGet();
          generated.addAndGet(result.acked().size());
        }
      }, "generator-" + service);
      thread.setDaemon(true);
      generatorThreads.add(thread);
      thread.start();
    }

    List<String> rows = new ArrayList<>();
    for (int count : subscriberCounts) {
      List<ControlPlaneClient> clients = new ArrayList<>();
      List<Subscriber> subscribers = new ArrayList<>();
      CountDownLatch snapshots = new CountDownLatch(count);
      for (int i = 0; i < count; i++) {
        ControlPlaneClient client = ControlPlaneClient.create("127.0.0.1", grpc.port(), TOKEN, null,
            Duration.ofSeconds(30));
        Subscriber subscriber = new Subscriber(snapshots);
        client.streaming().streamStatus(StreamRequest.getDefaultInstance(), subscriber);
        clients.add(client);
        subscribers.add(subscriber);
      }
      if (!snapshots.await(60, TimeUnit.SECONDS)) {
        System.out.println("warning: " + snapshots.getCount() + " subscriber(s) got no SNAPSHOT_END within 60 s");
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
      subscribers.forEach(Subscriber::startWindow);
      long generatedBefore = generated.get();
      long appliesBefore = applies.get();
      long start = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      subscribers.forEach(Subscriber::endWindow);
      double elapsed = (System.nanoTime() - start) / 1e9;
      long generatedInWindow = generated.get() - generatedBefore;
      long appliesInWindow = applies.get() - appliesBefore;
      subscribers.forEach(Subscriber::cancel);
      clients.forEach(ControlPlaneClient::close);

      double[] perSubscriber = subscribers.stream().mapToDouble(s -> s.applied / elapsed).sorted().toArray();
      long lagged = subscribers.stream().mapToLong(s -> s.laggedNotices).sum();
      long coalesced = subscribers.stream().mapToLong(s -> s.coalesced).sum();
      long errors = subscribers.stream().filter(s -> s.error != null).count();
      long[] delays = Subscriber.mergedDelayHistogram(subscribers);
      String row = String.format(Locale.ROOT, "| %d | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f | %d / %,d | %s | %s | %d |",
          count, appliesInWindow / elapsed, generatedInWindow / elapsed, perSubscriber[perSubscriber.length / 2],
          perSubscriber[0], Arrays.stream(perSubscriber).sum(), lagged, coalesced,
          histogramPercentile(delays, 50), histogramPercentile(delays, 99), errors);
      System.out.println(row + "  (" + Machine.loadAverage() + ")");
      rows.add(row);
    }
    running.set(false);
    for (Thread thread : generatorThreads) {
      thread.join(15_000);
    }
    System.out.println();
    System.out.println(Machine.loadAverage() + " (at end)");
    System.out.println("| subscribers | applies/s | events generated/s | delivered/s per subscriber, median | "
        + "… slowest subscriber | delivered/s, all subscribers | LAGGED notices / events coalesced | "
        + "delay p50 (ms) | delay p99 (ms) | stream errors |");
    System.out.println("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    rows.forEach(System.out::println);
    System.exit(0);
  }

  private static String histogramPercentile(long[] histogram, double p) {
    long total = Arrays.stream(histogram).sum();
    if (total == 0) {
      return "n/a";
    }
    long rank = (long) Math.ceil(p / 100 * total);
    long seen = 0;
    for (int ms = 0; ms < histogram.length; ms++) {
      seen += histogram[ms];
      if (seen >= rank) {
        return ms == histogram.length - 1 ? "≥ " + ms : Integer.toString(ms);
      }
    }
    return "n/a";
  }

  /** One StreamStatus call: counts what arrives inside the window. Its methods are synchronized. */
  private static final class Subscriber implements ClientResponseObserver<StreamRequest, StatusUpdate> {
    static final int MAX_DELAY_MS = 10_000;
    private final CountDownLatch snapshot;
    private ClientCallStreamObserver<StreamRequest> call;
    private boolean counting;
    long applied;
    long laggedNotices;
    long coalesced;
    final long[] delayMs = new long[MAX_DELAY_MS + 1];
    volatile Throwable error;
    private volatile boolean cancelled;

    Subscriber(CountDownLatch snapshot) {
      this.snapshot = snapshot;
    }

    @Override
    public synchronized void beforeStart(ClientCallStreamObserver<StreamRequest> requestStream) {
      this.call = requestStream;
    }

    @Override
    public synchronized void onNext(StatusUpdate update) {
      switch (update.getKind()) {
        case SNAPSHOT_END -> snapshot.countDown();
        case APPLIED -> {
          if (counting) {
            applied++;
            long delay = System.currentTimeMillis() - update.getTimeUnixMs();
            delayMs[(int) Math.max(0, Math.min(MAX_DELAY_MS, delay))]++;
          }
        }
        case LAGGED -> {
          if (counting) {
            laggedNotices++;
            try {
              coalesced += Long.parseLong(update.getDetail().replaceAll("[^0-9]", ""));
            } catch (NumberFormatException e) {
              // A detail without a count: the notice is still counted.
            }
          }
        }
        default -> {
          // SNAPSHOT, CONNECTED, health changes: not counted.
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!cancelled) {
        error = t;
      }
      snapshot.countDown();
    }

    @Override
    public void onCompleted() {}

    synchronized void startWindow() {
      counting = true;
    }

    synchronized void endWindow() {
      counting = false;
    }

    synchronized void cancel() {
      cancelled = true;
      if (call != null) {
        call.cancel("benchmark window over", null);
      }
    }

    static long[] mergedDelayHistogram(List<Subscriber> subscribers) {
      long[] out = new long[MAX_DELAY_MS + 1];
      for (Subscriber s : subscribers) {
        synchronized (s) {
          for (int i = 0; i < out.length; i++) {
            out[i] += s.delayMs[i];
          }
        }
      }
      return out;
    }
  }
}
