package io.mcp.benchmarks.controlplane;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.ConnectionListener;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent JVM of {@link FanoutBenchmark} and {@link ReplicaFanoutBenchmark}: starts N {@link
 * Agent}s against one controller, or spread over several (agent {@code i} lists them starting from
 * number {@code i} modulo their count, so each holds a share and fails over to the others), and
 * holds them. All agents share one event loop group and one handler executor; each has its own node id
 * ({@code agent-00001}…) and a listener that only counts. It answers one line on stdout per command
 * on stdin:
 *
 * <pre>
 * (start)      -> connected ok=N failed=F attempts-failed=A millis=T
 * applied V    -> applied n=K           (agents whose applied version is V or newer)
 * status       -> status connected=K disconnects=D
 * EOF          -> the JVM exits (abruptly: the controller is about to stop anyway)
 * </pre>
 *
 * <p>At most {@code concurrency} agents are connecting at once: the next one starts when an earlier
 * one reaches READY (a failed attempt is retried by the agent's own reconnect policy). Arguments:
 * {@code <port[,port...]> <agents> <concurrency> <event-loop-threads> <handler-threads> <token> <service>}.
 */
final class AgentFleetProcess {
  private AgentFleetProcess() {}

  public static void main(String[] args) throws Exception {
    List<InetSocketAddress> controllers = new ArrayList<>();
    for (String port : args[0].split(",")) {
      controllers.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)));
    }
    int agents = Integer.parseInt(args[1]);
    int concurrency = Integer.parseInt(args[2]);
    int eventLoopThreads = Integer.parseInt(args[3]);
    int handlerThreads = Integer.parseInt(args[4]);
    String token = args[5];
    String service = args[6];

    EventLoopGroup group = new MultiThreadIoEventLoopGroup(eventLoopThreads, new DefaultThreadFactory("agents", true),
        Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    ExecutorService handlers = Executors.newFixedThreadPool(handlerThreads, new DefaultThreadFactory("agent-handlers",
        true));
    AtomicLong configsApplied = new AtomicLong();
    AtomicInteger connected = new AtomicInteger();
    AtomicInteger disconnects = new AtomicInteger();
    AtomicInteger attemptsFailed = new AtomicInteger();
    Semaphore inFlight = new Semaphore(concurrency);
    CountDownLatch allConnected = new CountDownLatch(agents);
    List<Agent> fleet = new ArrayList<>(agents);

    long start = System.nanoTime();
    for (int i = 1; i <= agents; i++) {
      inFlight.acquire();
      AtomicBoolean first = new AtomicBoolean(true);
      Agent agent = Agent.create(AgentOptions.builder(String.format(Locale.ROOT, "agent-%05d", i))
          .services(service)
          .endpoints(rotated(controllers, i))
          .token(token)
          .configListener((s, version, config) -> configsApplied.incrementAndGet())
          .client(b -> b.eventLoopGroup(group).handlerExecutor(handlers))
          .build());
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

        @Override
        public void onConnectFailed(SocketAddress endpoint, Throwable cause) {
          attemptsFailed.incrementAndGet();
        }
      });
      fleet.add(agent.start());
    }
    boolean done = allConnected.await(5, TimeUnit.MINUTES);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    long missing = allConnected.getCount();
    System.out.println("connected ok=" + (agents - missing) + " failed=" + missing + " attempts-failed="
        + attemptsFailed.get() + " millis=" + millis + (done ? "" : " error=not_all_connected_within_5_minutes"));

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
        System.out.println("status connected=" + connected.get() + " disconnects=" + disconnects.get()
            + " listener-calls=" + configsApplied.get());
      } else {
        System.out.println("error unknown command " + line);
      }
    }
    System.exit(0);
  }

  /** Agent {@code i}'s endpoints: the controllers starting from number {@code i} modulo their count. */
  static List<InetSocketAddress> rotated(List<InetSocketAddress> controllers, int i) {
    List<InetSocketAddress> out = new ArrayList<>(controllers.size());
    for (int k = 0; k < controllers.size(); k++) {
      out.add(controllers.get((i + k) % controllers.size()));
    }
    return out;
  }
}
