package io.mcp.benchmarks.sessions;

import io.mcp.core.ClientOptions;
import io.mcp.core.McpClient;
import io.mcp.core.Session;
import io.mcp.core.SessionState;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client JVM: opens and holds connections to the server under test on command. It reads one
 * command a line from stdin and answers one line on stdout:
 *
 * <pre>
 * (start)      -> ready
 * connect N    -> connected ok=N failed=F retries=R millis=T [error=...]
 * close        -> closed n=K          (closes everything this JVM holds)
 * status       -> status open=K       (MCP: sessions READY; bare: channels active)
 * exit or EOF  -> bye, then the JVM exits
 * </pre>
 *
 * <p>At most {@code --concurrency} connects (MCP: connect and handshake) are in flight; a failed
 * one is retried twice. MCP sessions use one {@link McpClient} each (its own node id, {@code
 * agent-00001}…) on one shared event loop group, and ask for the server's heartbeat interval.
 * Arguments: {@code <kind> <port> <benchmark options>}.
 */
final class ClientProcess {
  private static final int MAX_ATTEMPTS = 3;

  private ClientProcess() {}

  public static void main(String[] args) throws Exception {
    ServerKind kind = ServerKind.parse(args[0]);
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
    BenchmarkOptions options = BenchmarkOptions.parse(Arrays.asList(args).subList(2, args.length));
    EventLoopGroup group = NettyTransport.newGroup(options.clientThreads, "bench-client");
    Fleet fleet = kind == ServerKind.MCP ? new McpFleet(group, address) : new BareFleet(group, address);
    System.out.println("ready");
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = stdin.readLine(); line != null && !line.equals("exit"); line = stdin.readLine()) {
      if (line.startsWith("connect ")) {
        System.out.println(fleet.connect(Integer.parseInt(line.substring("connect ".length())), options.concurrency));
      } else if (line.equals("close")) {
        System.out.println("closed n=" + fleet.closeAll());
      } else if (line.equals("status")) {
        System.out.println("status open=" + fleet.openCount());
      } else {
        System.out.println("error unknown command " + line);
      }
    }
    // Abrupt: closing the event loops closes every channel; the server's measurements are done.
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    System.out.println("bye");
    System.exit(0);
  }

  /** The connections of one kind this JVM holds. */
  private abstract static class Fleet {
    private final AtomicInteger nextIndex = new AtomicInteger();

    /** Opens connection {@code index}; completes once it is established (MCP: READY) and held. */
    abstract CompletableFuture<Void> open(int index);

    abstract int openCount();

    /** Closes every held connection; returns how many were closed. */
    abstract int closeAll() throws Exception;

    /** Opens {@code n} connections with at most {@code concurrency} in flight; a reply line. */
    String connect(int n, int concurrency) throws InterruptedException {
      Semaphore inFlight = new Semaphore(concurrency);
      CountDownLatch done = new CountDownLatch(n);
      AtomicInteger failed = new AtomicInteger();
      AtomicInteger retries = new AtomicInteger();
      AtomicReference<Throwable> firstError = new AtomicReference<>();
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        inFlight.acquire();
        attempt(nextIndex.incrementAndGet(), 1, inFlight, done, failed, retries, firstError);
      }
      boolean finished = done.await(10, TimeUnit.MINUTES);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      int notDone = (int) done.getCount();
      String reply = "connected ok=" + (n - failed.get() - notDone) + " failed=" + (failed.get() + notDone)
          + " retries=" + retries.get() + " millis=" + millis;
      if (!finished) {
        reply += " error=" + notDone + "_still_pending_after_10_minutes";
      } else if (firstError.get() != null) {
        reply += " error=" + String.valueOf(firstError.get()).replace(' ', '_');
      }
      return reply;
    }

    private void attempt(int index, int attemptNo, Semaphore inFlight, CountDownLatch done, AtomicInteger failed,
        AtomicInteger retries, AtomicReference<Throwable> firstError) {
      CompletableFuture<Void> opened;
      try {
        opened = open(index);
      } catch (RuntimeException e) {
        opened = CompletableFuture.failedFuture(e);
      }
      opened.whenComplete((ok, error) -> {
        if (error != null && attemptNo < MAX_ATTEMPTS) {
          retries.incrementAndGet();
          attempt(index, attemptNo + 1, inFlight, done, failed, retries, firstError);
          return;
        }
        if (error != null) {
          failed.incrementAndGet();
          firstError.compareAndSet(null, error);
        }
        inFlight.release();
        done.countDown();
      });
    }
  }

  /** MCP sessions, one {@link McpClient} per node id, all on the shared group. */
  private static final class McpFleet extends Fleet {
    private final EventLoopGroup group;
    private final InetSocketAddress address;
    private final Queue<Session> sessions = new ConcurrentLinkedQueue<>();

    McpFleet(EventLoopGroup group, InetSocketAddress address) {
      this.group = group;
      this.address = address;
    }

    @Override
    CompletableFuture<Void> open(int index) {
      McpClient client = McpClient.create(ClientOptions.builder(String.format(Locale.ROOT, "agent-%05d", index))
          .serviceName("idle-sessions")
          .token(BenchmarkOptions.TOKEN)
          .eventLoopGroup(group)
          .build());
      return client.connect(address).thenAccept(sessions::add);
    }

    @Override
    int openCount() {
      int ready = 0;
      for (Session session : sessions) {
        if (session.state() == SessionState.READY) {
          ready++;
        }
      }
      return ready;
    }

    @Override
    int closeAll() throws Exception {
      List<CompletableFuture<Void>> closing = new ArrayList<>();
      for (Session session; (session = sessions.poll()) != null; ) {
        closing.add(session.close());
      }
      try {
        CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        System.err.println("client: not every session closed within 30 s");
      }
      return closing.size();
    }
  }

  /** Plain TCP connections with a handler that drops what it reads. */
  private static final class BareFleet extends Fleet {
    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final Queue<Channel> channels = new ConcurrentLinkedQueue<>();

    BareFleet(EventLoopGroup group, InetSocketAddress address) {
      this.address = address;
      this.bootstrap = new Bootstrap()
          .group(group)
          .channel(NettyTransport.channel())
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
          .handler(new DropHandler());
    }

    @Override
    CompletableFuture<Void> open(int index) {
      CompletableFuture<Void> opened = new CompletableFuture<>();
      ChannelFuture connect = bootstrap.connect(address);
      connect.addListener(f -> {
        if (f.isSuccess()) {
          channels.add(connect.channel());
          opened.complete(null);
        } else {
          opened.completeExceptionally(f.cause());
        }
      });
      return opened;
    }

    @Override
    int openCount() {
      int active = 0;
      for (Channel channel : channels) {
        if (channel.isActive()) {
          active++;
        }
      }
      return active;
    }

    @Override
    int closeAll() throws InterruptedException {
      List<ChannelFuture> closing = new ArrayList<>();
      for (Channel channel; (channel = channels.poll()) != null; ) {
        closing.add(channel.close());
      }
      for (ChannelFuture future : closing) {
        future.await(30, TimeUnit.SECONDS);
      }
      return closing.size();
    }
  }

  @ChannelHandler.Sharable
  private static final class DropHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
