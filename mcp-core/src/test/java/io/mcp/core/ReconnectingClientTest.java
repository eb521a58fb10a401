package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.codec.ErrorCode;
import io.mcp.core.auth.Authenticators;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The reconnecting client: backoff on a fake clock, failover and GOING_AWAY on real sockets. */
class ReconnectingClientTest {
  final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** Records scheduled reconnects instead of running them; time moves only when the test says. */
  static final class FakeScheduler implements ReconnectingClient.Scheduler {
    final BlockingQueue<Long> delays = new LinkedBlockingQueue<>();
    final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    final AtomicLong now = new AtomicLong();

    @Override
    public void schedule(Runnable task, long delayNanos) {
      delays.add(delayNanos);
      tasks.add(task);
    }

    @Override
    public long nanoTime() {
      return now.get();
    }

    long nextDelayMillis() throws InterruptedException {
      Long delay = delays.poll(10, TimeUnit.SECONDS);
      assertThat(delay).as("a reconnect was scheduled").isNotNull();
      return TimeUnit.NANOSECONDS.toMillis(delay);
    }

    void runNext() throws InterruptedException {
      Runnable task = tasks.poll(10, TimeUnit.SECONDS);
      assertThat(task).isNotNull();
      task.run();
    }
  }

  static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort(); // nothing listens here once closed: connects are refused at once
    }
  }

  McpClient client(String node) {
    McpClient client = McpClient.create(ClientOptions.builder(node).token("t").build());
    closeables.add(client);
    return client;
  }

  McpServer server(String id, MessageHandlers handlers, List<Map<String, Long>> hellos) {
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1").serverId(id)
        .authenticator(Authenticators.staticToken("t")).handlers(handlers)
        .addListener(new SessionListener() {
          @Override
          public void onReady(Session session) {
            hellos.add(session.appliedVersions());
          }
        }).build()).start();
    closeables.add(() -> server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS));
    return server;
  }

  @Test
  void policy_exponentialWithCapAndJitter() {
    ReconnectPolicy policy = ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(100)).multiplier(2)
        .maxBackoff(Duration.ofSeconds(1)).jitter(0.2).build();

    assertThat(policy.delayNanos(0, 0.5)).isEqualTo(100_000_000L);
    assertThat(policy.delayNanos(3, 0.5)).isEqualTo(800_000_000L);
    assertThat(policy.delayNanos(4, 0.5)).isEqualTo(1_000_000_000L); // capped
    assertThat(policy.delayNanos(40, 0.5)).isEqualTo(1_000_000_000L);
    assertThat(policy.delayNanos(0, 0.0)).isEqualTo(80_000_000L); // -20 %
    assertThat(policy.delayNanos(0, 0.999_999)).isBetween(119_999_000L, 120_000_000L); // +20 %
    assertThat(policy.goingAwayDelayNanos(0.25)).isEqualTo(25_000_000L);
  }

  @Test
  void refusedConnects_backOffExponentiallyAcrossEndpoints() throws Exception {
    FakeScheduler scheduler = new FakeScheduler();
    List<InetSocketAddress> endpoints = List.of(new InetSocketAddress("127.0.0.1", closedPort()),
        new InetSocketAddress("127.0.0.1", closedPort()));
    List<java.net.SocketAddress> tried = new ArrayList<>();
    ReconnectingClient rc = new ReconnectingClient(client("n"), endpoints, ReconnectPolicy.builder()
        .initialBackoff(Duration.ofMillis(100)).maxBackoff(Duration.ofMillis(1000)).build(), Map::of, scheduler,
        () -> 0.5);
    closeables.add(rc);
    rc.addListener(new ConnectionListener() {
      @Override
      public void onConnectFailed(java.net.SocketAddress endpoint, Throwable cause) {
        synchronized (tried) {
          tried.add(endpoint);
        }
      }
    });

    rc.start();
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      delays.add(scheduler.nextDelayMillis());
      scheduler.runNext();
    }
    scheduler.nextDelayMillis();

    assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L);
    synchronized (tried) {
      assertThat(tried.subList(0, 4)).containsExactly(endpoints.get(0), endpoints.get(1), endpoints.get(0),
          endpoints.get(1));
    }
  }

  @Test
  void healthyPeriod_resetsTheBackoff() throws Exception {
    FakeScheduler scheduler = new FakeScheduler();
    List<Map<String, Long>> hellos = new CopyOnWriteList<>();
    McpServer server = server("a", MessageHandlers.none(), hellos);
    InetSocketAddress up = new InetSocketAddress("127.0.0.1", server.port());
    ReconnectingClient rc = new ReconnectingClient(client("n"), List.of(up), ReconnectPolicy.builder()
        .initialBackoff(Duration.ofMillis(100)).healthyPeriod(Duration.ofSeconds(30)).build(), Map::of, scheduler,
        () -> 0.5);
    closeables.add(rc);
    rc.start();

    Session first = rc.awaitSession().get(10, TimeUnit.SECONDS);
    server.sessions().iterator().next().close(CloseCode.INTERNAL_ERROR, "blip"); // short-lived session
    assertThat(scheduler.nextDelayMillis()).isEqualTo(100);
    scheduler.runNext();
    Session second = rc.awaitSession().get(10, TimeUnit.SECONDS);
    assertThat(second).isNotSameAs(first);
    waitForSessions(server, 1);
    server.sessions().iterator().next().close(CloseCode.INTERNAL_ERROR, "blip");
    assertThat(scheduler.nextDelayMillis()).isEqualTo(200); // grew: the session was not healthy long
    scheduler.runNext();
    rc.awaitSession().get(10, TimeUnit.SECONDS);
    waitForSessions(server, 1);

    scheduler.now.addAndGet(Duration.ofSeconds(31).toNanos()); // READY for longer than the healthy period
    server.sessions().iterator().next().close(CloseCode.INTERNAL_ERROR, "blip");

    assertThat(scheduler.nextDelayMillis()).isEqualTo(100);
  }

  static void waitForSessions(McpServer server, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.sessions().stream().filter(s -> s.state() == SessionState.READY).count() != count
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  @Test
  void goingAway_failsOverToTheNextEndpoint_withCurrentAppliedVersions() throws Exception {
    List<Map<String, Long>> helloA = new CopyOnWriteList<>();
    List<Map<String, Long>> helloB = new CopyOnWriteList<>();
    McpServer a = server("a", MessageHandlers.none(), helloA);
    McpServer b = server("b", MessageHandlers.none(), helloB);
    AtomicLong applied = new AtomicLong(3);
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    ReconnectingClient rc = ReconnectingClient.create(client("agent-1"),
        List.of(new InetSocketAddress("127.0.0.1", a.port()), new InetSocketAddress("127.0.0.1", b.port())),
        ReconnectPolicy.defaults(), () -> Map.of("payments", applied.get()));
    closeables.add(rc);
    rc.addListener(new ConnectionListener() {
      @Override
      public void onConnected(Session session, java.net.SocketAddress endpoint) {
        events.add("connected " + session.identity().name());
      }

      @Override
      public void onDisconnected(Session session, java.net.SocketAddress endpoint, SessionClose close) {
        events.add("disconnected " + close.code().name());
      }

      @Override
      public void onReconnectScheduled(int attempt, Duration delay, java.net.SocketAddress endpoint) {
        events.add("scheduled " + (delay.compareTo(Duration.ofMillis(100)) < 0 ? "<100ms" : delay.toString()));
      }
    });
    rc.start();
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("connected a");
    applied.set(5); // the agent applied a newer version meanwhile

    a.shutdown(Duration.ofSeconds(2));

    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("disconnected GOING_AWAY");
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("scheduled <100ms");
    assertThat(events.poll(10, TimeUnit.SECONDS)).isEqualTo("connected b");
    // The client turns READY on reading Welcome; the server's own READY (and onReady) follows the write.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (helloB.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(helloA).containsExactly(Map.of("payments", 3L));
    assertThat(helloB).containsExactly(Map.of("payments", 5L));
  }

  /**
   * "apply" is counted on receipt, on the event loop, in the order requests arrive, and completes
   * only when cancelled (the session's end cancels it); "probe" answers at once from the loop.
   */
  static MessageHandlers countingHandlers(AtomicInteger applyReceipts, CountDownLatch applyStarted) {
    return MessageHandlers.builder()
        .onAsync("apply", m -> {
          applyReceipts.incrementAndGet();
          applyStarted.countDown();
          CompletableFuture<Reply> never = new CompletableFuture<>();
          m.onCancel(() -> never.complete(Reply.empty()));
          return never;
        })
        .onAsync("probe", m -> CompletableFuture.completedFuture(Reply.empty()))
        .build();
  }

  @Test
  void connectionDropsDuringRequests_theyFailUnavailable_andNothingRunsTwice() throws Exception {
    AtomicInteger receiptsA = new AtomicInteger();
    AtomicInteger receiptsB = new AtomicInteger();
    CountDownLatch started = new CountDownLatch(1);
    List<Map<String, Long>> hellos = new CopyOnWriteList<>();
    McpServer a = server("a", countingHandlers(receiptsA, started), hellos);
    McpServer b = server("b", countingHandlers(receiptsB, new CountDownLatch(1)), hellos);
    ReconnectingClient rc = ReconnectingClient.create(client("agent"),
        List.of(new InetSocketAddress("127.0.0.1", a.port()), new InetSocketAddress("127.0.0.1", b.port())),
        ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build());
    closeables.add(rc);
    rc.start();
    Session first = rc.awaitSession().get(10, TimeUnit.SECONDS);
    CompletableFuture<Reply> inFlight = rc.request("apply", ByteBuffer.allocate(0), Duration.ofSeconds(30));
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    ((io.mcp.core.internal.NettySession) a.sessions().iterator().next()).channel().close(); // abrupt drop

    ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> inFlight.get(10, TimeUnit.SECONDS));
    assertThat(((RequestException) failure.getCause()).errorCode()).isEqualTo(ErrorCode.UNAVAILABLE);
    Session second = rc.awaitSession().get(10, TimeUnit.SECONDS);
    assertThat(second).isNotSameAs(first);
    assertThat(second.identity().name()).isEqualTo("b");
    // Frames on a session are handled in arrival order: once the probe is answered, any "apply" the
    // client had resent on its own before it has been received and counted.
    second.request("probe", ByteBuffer.allocate(0), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
    assertThat(receiptsA.get()).as("apply received by a").isEqualTo(1);
    assertThat(receiptsB.get()).as("apply received by b").isZero();
  }

  @Test
  void notConnected_requestFailsAtOnceWithUnavailable() throws Exception {
    ReconnectingClient rc = ReconnectingClient.create(client("n"),
        List.of(new InetSocketAddress("127.0.0.1", closedPort())), ReconnectPolicy.defaults());
    closeables.add(rc);

    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> rc.request("x", ByteBuffer.allocate(0), Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS));

    assertThat(((RequestException) e.getCause()).errorCode()).isEqualTo(ErrorCode.UNAVAILABLE);
  }

  /** A thread-safe list for listener callbacks. */
  static final class CopyOnWriteList<T> extends java.util.concurrent.CopyOnWriteArrayList<T> {
    private static final long serialVersionUID = 1L;
  }
}
