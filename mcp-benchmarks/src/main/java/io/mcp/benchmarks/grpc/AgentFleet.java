package io.mcp.benchmarks.grpc;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.AgentTransport;
import io.mcp.core.ConnectionListener;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.grpc.GrpcAgentTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent JVM of {@link TransportFanoutBenchmark}: starts N {@link Agent}s of one service against
 * one controller endpoint, over TCP or over gRPC, and holds them. All agents share one event loop
 * group and one handler executor ({@code AgentOptions.client}); each has its own node id and a
 * listener that only counts. Over gRPC, agents are spread round-robin over {@code connections}
 * {@link GrpcAgentTransport}s, each one HTTP/2 connection. Protocol on stdin/stdout:
 *
 * <pre>
 * (start)      -> connected ok=N failed=F millis=T threads=H
 * applied V    -> applied n=K           (agents whose applied version is V or newer)
 * status       -> status connected=K disconnects=D
 * EOF          -> the JVM exits
 * </pre>
 *
 * <p>Arguments: {@code <tcp|grpc> <port> <agents> <concurrency> <event-loop-threads>
 * <handler-threads> <token> <service> <grpc-connections>}.
 */
final class AgentFleet {
  private AgentFleet() {}

  public static void main(String[] args) throws Exception {
    boolean grpc = args[0].equals("grpc");
    InetSocketAddress controller = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
    int agents = Integer.parseInt(args[2]);
    int concurrency = Integer.parseInt(args[3]);
    int eventLoopThreads = Integer.parseInt(args[4]);
    int handlerThreads = Integer.parseInt(args[5]);
    String token = args[6];
    String service = args[7];
    int connections = Integer.parseInt(args[8]);

    EventLoopGroup group = new MultiThreadIoEventLoopGroup(eventLoopThreads, new DefaultThreadFactory("agents", true),
        Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    ExecutorService handlers = Executors.newFixedThreadPool(handlerThreads,
        new DefaultThreadFactory("agent-handlers", true));
    List<AgentTransport> transports = new ArrayList<>();
    for (int i = 0; grpc && i < Math.min(connections, agents); i++) {
      transports.add(GrpcAgentTransport.create(null));
    }
    AtomicInteger connected = new AtomicInteger();
    AtomicInteger disconnects = new AtomicInteger();
    Semaphore inFlight = new Semaphore(concurrency);
    CountDownLatch allConnected = new CountDownLatch(agents);
    List<Agent> fleet = new ArrayList<>(agents);
    long start = System.nanoTime();
    for (int i = 1; i <= agents; i++) {
      inFlight.acquire();
      AtomicBoolean first = new AtomicBoolean(true);
      AgentOptions.Builder options = AgentOptions.builder(String.format(Locale.ROOT, "agent-%05d", i))
          .services(service)
          .endpoint(controller)
          .token(token)
          .configListener((s, version, config) -> {})
          .client(b -> b.eventLoopGroup(group).handlerExecutor(handlers));
      if (grpc) {
        options.transport(transports.get(i % transports.size()));
      }
      Agent agent = Agent.create(options.build());
      agent.connection().addListener(new ConnectionListener() {
        @Override
        public void onConnected(Session session, SocketAddress endpoint) {
          connected.incrementAndGet();
          if (first.compareAndSet(true, false)) {
            inFlight.release();
            allConnected.countDown();
          }
        }

        @Override
        public void onDisconnected(Session session, SocketAddress endpoint, SessionClose close) {
          connected.decrementAndGet();
          disconnects.incrementAndGet();
        }
      });
      fleet.add(agent.start());
    }
    boolean done = allConnected.await(5, TimeUnit.MINUTES);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.println("connected ok=" + (agents - allConnected.getCount()) + " failed=" + allConnected.getCount()
        + " millis=" + millis + " threads=" + Thread.activeCount() + (done ? "" : " error=not_all_connected"));

    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = stdin.readLine(); line != null; line = stdin.readLine()) {
      if (line.startsWith("applied ")) {
        long version = Long.parseLong(line.substring("applied ".length()));
        int n = 0;
        for (Agent agent : fleet) {
          OptionalLong applied = agent.appliedVersion(service);
          if (applied.isPresent() && applied.getAsLong() >= version) {
            n++;
          }
        }
        System.out.println("applied n=" + n);
      } else if (line.equals("status")) {
        System.out.println("status connected=" + connected.get() + " disconnects=" + disconnects.get());
      } else {
        System.out.println("error unknown command " + line);
      }
    }
    System.exit(0);
  }
}
