package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.codec.ErrorCode;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.internal.NettySession;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Bounded outbound memory, slow consumers, and broadcast to many sessions. */
class BackpressureTest {
  static final long BUDGET = 1024 * 1024;
  /** Allowance above the budget for allocator chunks, socket buffers in flight and GC noise. */
  static final long SLACK = 16 * 1024 * 1024;

  /** Heap in use after a full collection (the test JVM does not disable explicit GC). */
  static long usedHeapAfterGc(MemoryMXBean memory) {
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  @Test
  void peerThatNeverReads_budgetBoundsMemory_sendsFailFast_thenSlowConsumer() throws Exception {
    LinkedBlockingQueue<Session> ready = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Boolean> writability = new LinkedBlockingQueue<>();
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.allowAll())
        .maxQueuedBytes(BUDGET)
        .writeBufferWaterMarks(64 * 1024, 256 * 1024)
        .writeDeadline(Duration.ofSeconds(2)) // room for the flood and two full GCs
        .addListener(new SessionListener() {
          @Override
          public void onReady(Session session) {
            ready.add(session);
          }

          @Override
          public void onWritabilityChanged(Session session, boolean writable) {
            writability.add(writable);
          }
        }).build()).start();
    try (RawPeer peer = new RawPeer(new InetSocketAddress("127.0.0.1", server.port()), 4096)) {
      peer.handshake(RawPeer.hello("sleepy").build()); // ... and never reads again
      Session session = ready.poll(10, TimeUnit.SECONDS);
      ByteBuffer body = ByteBuffer.allocate(64 * 1024);
      // The allocator the session's frames really come from (Netty 4.2's default is the adaptive one,
      // not PooledByteBufAllocator.DEFAULT), and the Java heap, in case frames or copies live there.
      ByteBufAllocator alloc = ((NettySession) session).channel().alloc();
      assertThat(alloc).as("the channel's allocator reports its memory")
          .isInstanceOf(ByteBufAllocatorMetricProvider.class);
      ByteBufAllocatorMetric metric = ((ByteBufAllocatorMetricProvider) alloc).metric();
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      long heapBefore = usedHeapAfterGc(memory);
      long allocBefore = metric.usedDirectMemory() + metric.usedHeapMemory();
      long maxQueued = 0;
      long maxAlloc = 0;
      int sent = 0;
      int overloaded = 0;
      for (int i = 0; i < 2_000 && session.state() == SessionState.READY; i++) {
        CompletableFuture<Void> result = session.send("flood", body.duplicate());
        sent++;
        if (result.isCompletedExceptionally()) {
          Throwable cause = result.handle((ok, e) -> e).join();
          assertThat(((RequestException) cause).errorCode()).isEqualTo(ErrorCode.OVERLOADED);
          overloaded++;
        }
        maxQueued = Math.max(maxQueued, session.queuedBytes());
        maxAlloc = Math.max(maxAlloc, metric.usedDirectMemory() + metric.usedHeapMemory() - allocBefore);
      }
      long heapGrowth = usedHeapAfterGc(memory) - heapBefore; // the session still holds what it queued

      SessionClose close = session.closeFuture().get(10, TimeUnit.SECONDS);

      long offered = (long) sent * body.capacity();
      assertThat(offered).as("the flood offers far more than the bounds below").isGreaterThan(BUDGET + SLACK);
      assertThat(overloaded).as("sends beyond the budget fail fast").isGreaterThan(0);
      assertThat(maxQueued).as("queued bytes never exceed the budget").isLessThanOrEqualTo(BUDGET);
      assertThat(maxAlloc).as("the channel allocator's memory stays near the budget").isLessThan(BUDGET + SLACK);
      assertThat(heapGrowth).as("the Java heap stays near the budget").isLessThan(BUDGET + SLACK);
      assertThat(writability.poll(10, TimeUnit.SECONDS)).as("producers were told to pause").isFalse();
      assertThat(close.code()).isEqualTo(CloseCode.SLOW_CONSUMER);
      assertThat(close.reason()).startsWith("peer read too little for 2000 ms (write deadline)");
    } finally {
      server.shutdown(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void broadcast_toThousandSessions_everyoneGetsTheSameBytes() throws Exception {
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1")
        .authenticator(Authenticators.allowAll()).build()).start();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    Map<String, byte[]> received = new ConcurrentHashMap<>();
    AtomicInteger count = new AtomicInteger();
    MessageHandlers handlers = MessageHandlers.builder().onAsync("config.update", m -> {
      byte[] copy = new byte[m.body().remaining()];
      m.body().get(copy);
      received.put(m.session().id() + m.headers().get("version"), copy);
      count.incrementAndGet();
      return CompletableFuture.completedFuture(null);
    }).build();
    try (McpClient client = McpClient.create(ClientOptions.builder("agent").eventLoopGroup(group)
        .handlers(handlers).build())) {
      List<CompletableFuture<Session>> sessions = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        sessions.add(client.connect(new InetSocketAddress("127.0.0.1", server.port())));
      }
      CompletableFuture.allOf(sessions.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
      byte[] config = new byte[4096];
      new java.util.Random(3).nextBytes(config);

      Map<Session, CompletableFuture<Void>> results =
          server.broadcast(server.sessions(), "config.update", Map.of("version", "7"), ByteBuffer.wrap(config));
      CompletableFuture.allOf(results.values().toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (count.get() < 1000 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }

      assertThat(results).hasSize(1000);
      assertThat(count.get()).isEqualTo(1000);
      assertThat(received.values()).allSatisfy(body -> assertThat(body).isEqualTo(config));
      for (CompletableFuture<Session> s : sessions) {
        s.join().close();
      }
    } finally {
      server.shutdown(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
