package io.mcp.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * A fault-injecting TCP proxy for tests, on Netty, bound to 127.0.0.1 only. Each accepted
 * connection gets its own connection to the target; bytes flow through a per-direction pipe that
 * applies the faults in force when they arrive:
 *
 * <ul>
 *   <li>{@link #latency} — every segment is held for mean ± jitter (uniform), order kept;
 *   <li>{@link #bandwidth} — segments leave no faster than the given bytes per second; the proxy
 *       then stops reading from the sender, so the sender's socket fills as on a slow link;
 *   <li>{@link #slice} — data is cut into segments of min..max bytes, each written and flushed
 *       on its own;
 *   <li>{@link #blackhole} — the connection stays open but nothing is forwarded, FIN included
 *       (a half-open path: packets vanish, neither side is told);
 *   <li>{@link #resetAll} and {@link #resetAfter} — connections are aborted with an RST, the latter
 *       after exactly the given number of further bytes, so a frame can be cut in the middle;
 *   <li>{@link #slowClose} — a side's close (or half-close) reaches the other side only after a delay;
 *   <li>{@link #down} / {@link #up} — the listening port is closed (connection refused) and every
 *       connection reset; {@code up} binds the same port again.
 * </ul>
 *
 * <p>Faults can be changed at any time, per {@link Direction} or for both; they apply to data read
 * after the change. Counters ({@link #bytesForwarded}, {@link #segmentsForwarded}, {@link
 * #minSegment}, {@link #maxSegment}, {@link #accepted}, {@link #resets}) let tests check that a
 * fault was applied without timing anything.
 *
 * <p>Thread-safe.
 */
public final class FaultProxy implements AutoCloseable {
  /** The way bytes travel. */
  public enum Direction {
    /** From the connecting client to the target. */
    UPSTREAM,
    /** From the target back to the client. */
    DOWNSTREAM
  }

  /** Bytes a pipe holds (scheduled or not yet written) before it stops reading from its sender. */
  static final int PAUSE_BYTES = 64 * 1024;
  /** Held bytes below which a paused pipe reads again. */
  static final int RESUME_BYTES = 16 * 1024;

  private record Faults(long latencyNanos, long jitterNanos, long bytesPerSecond, int sliceMin, int sliceMax,
      boolean blackhole) {
    static final Faults NONE = new Faults(0, 0, 0, 0, 0, false);
  }

  private final InetSocketAddress target;
  private final int receiveBufferBytes;
  private final EventLoopGroup group;
  private final Map<Direction, AtomicReference<Faults>> faults = new EnumMap<>(Direction.class);
  private final Map<Direction, AtomicLong> resetAfter = new EnumMap<>(Direction.class);
  private final Map<Direction, AtomicLong> bytes = new EnumMap<>(Direction.class);
  private final Map<Direction, AtomicLong> segments = new EnumMap<>(Direction.class);
  private final Map<Direction, LongAccumulator> minSegment = new EnumMap<>(Direction.class);
  private final Map<Direction, LongAccumulator> maxSegment = new EnumMap<>(Direction.class);
  private final AtomicLong slowCloseNanos = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final Object bindLock = new Object();
  private Channel server;
  private int port;
  private boolean closed;

  private FaultProxy(InetSocketAddress target, int receiveBufferBytes) {
    this.target = Objects.requireNonNull(target, "target");
    this.receiveBufferBytes = receiveBufferBytes;
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("fault-proxy", true),
        NioIoHandler.newFactory());
    for (Direction d : Direction.values()) {
      faults.put(d, new AtomicReference<>(Faults.NONE));
      resetAfter.put(d, new AtomicLong(-1));
      bytes.put(d, new AtomicLong());
      segments.put(d, new AtomicLong());
      minSegment.put(d, new LongAccumulator(Math::min, Long.MAX_VALUE));
      maxSegment.put(d, new LongAccumulator(Math::max, 0));
    }
  }

  /** Starts a proxy on a free loopback port that forwards to {@code target}. */
  public static FaultProxy start(InetSocketAddress target) {
    return start(target, 0);
  }

  /**
   * Starts a proxy whose sockets use a fixed receive buffer of {@code receiveBufferBytes} (0 = the
   * kernel's autotuning). A small buffer makes a bandwidth limit reach the sender sooner.
   */
  public static FaultProxy start(InetSocketAddress target, int receiveBufferBytes) {
    if (receiveBufferBytes < 0) {
      throw new IllegalArgumentException("receiveBufferBytes " + receiveBufferBytes + " must be >= 0");
    }
    FaultProxy proxy = new FaultProxy(target, receiveBufferBytes);
    proxy.up();
    return proxy;
  }

  /** The port clients connect to (stable across {@link #down()} and {@link #up()}). */
  public int port() {
    synchronized (bindLock) {
      return port;
    }
  }

  /** The address clients connect to. */
  public InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
  }

  // ------------------------------------------------------------------------------------ faults

  /** Holds every segment in both directions for {@code mean} ± {@code jitter}. */
  public FaultProxy latency(Duration mean, Duration jitter) {
    for (Direction d : Direction.values()) {
      latency(d, mean, jitter);
    }
    return this;
  }

  /** Holds every segment in {@code direction} for {@code mean} ± {@code jitter} (uniform, at least 0). */
  public FaultProxy latency(Direction direction, Duration mean, Duration jitter) {
    long m = nonNegative("latency mean", mean);
    long j = nonNegative("latency jitter", jitter);
    faults.get(direction).updateAndGet(f -> new Faults(m, j, f.bytesPerSecond, f.sliceMin, f.sliceMax, f.blackhole));
    return this;
  }

  /** Limits both directions to {@code bytesPerSecond} each; 0 removes the limit. */
  public FaultProxy bandwidth(long bytesPerSecond) {
    for (Direction d : Direction.values()) {
      bandwidth(d, bytesPerSecond);
    }
    return this;
  }

  /** Limits {@code direction} to {@code bytesPerSecond}; 0 removes the limit. */
  public FaultProxy bandwidth(Direction direction, long bytesPerSecond) {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("bytesPerSecond " + bytesPerSecond + " must be >= 0");
    }
    faults.get(direction).updateAndGet(
        f -> new Faults(f.latencyNanos, f.jitterNanos, bytesPerSecond, f.sliceMin, f.sliceMax, f.blackhole));
    return this;
  }

  /** Cuts both directions into segments of {@code min}..{@code max} bytes; (0, 0) stops slicing. */
  public FaultProxy slice(int min, int max) {
    for (Direction d : Direction.values()) {
      slice(d, min, max);
    }
    return this;
  }

  /** Cuts {@code direction} into segments of {@code min}..{@code max} bytes; (0, 0) stops slicing. */
  public FaultProxy slice(Direction direction, int min, int max) {
    boolean off = min == 0 && max == 0;
    if (!off && (min < 1 || max < min)) {
      throw new IllegalArgumentException("slice " + min + ".." + max + " must be 1 <= min <= max, or 0..0");
    }
    faults.get(direction).updateAndGet(
        f -> new Faults(f.latencyNanos, f.jitterNanos, f.bytesPerSecond, min, max, f.blackhole));
    return this;
  }

  /** Drops everything in both directions, closes included, while keeping connections open. */
  public FaultProxy blackhole() {
    for (Direction d : Direction.values()) {
      blackhole(d, true);
    }
    return this;
  }

  /** Starts ({@code true}) or stops dropping everything in {@code direction}. */
  public FaultProxy blackhole(Direction direction, boolean on) {
    faults.get(direction).updateAndGet(
        f -> new Faults(f.latencyNanos, f.jitterNanos, f.bytesPerSecond, f.sliceMin, f.sliceMax, on));
    return this;
  }

  /** Delays the propagation of a close or half-close by {@code delay}; zero turns it off. */
  public FaultProxy slowClose(Duration delay) {
    slowCloseNanos.set(nonNegative("slowClose delay", delay));
    return this;
  }

  /**
   * Resets the connection that carries the next {@code bytes} bytes in {@code direction}, right
   * after forwarding exactly those bytes (once; it disarms itself).
   */
  public FaultProxy resetAfter(Direction direction, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes " + bytes + " must be >= 0");
    }
    resetAfter.get(direction).set(bytes);
    return this;
  }

  /** Removes every fault (not {@link #down()}): no latency, bandwidth limit, slicing, blackhole, slow close. */
  public FaultProxy heal() {
    for (Direction d : Direction.values()) {
      faults.get(d).set(Faults.NONE);
      resetAfter.get(d).set(-1);
    }
    slowCloseNanos.set(0);
    return this;
  }

  /** Aborts every open connection with an RST on both sides. */
  public FaultProxy resetAll() {
    for (Link link : links) {
      link.reset();
    }
    return this;
  }

  /**
   * Aborts with an RST the one connection whose target-side socket is {@code targetSideAddress} (the
   * remote address the target sees, e.g. a server session's {@code remoteAddress()}); returns
   * whether there was one. This is how a test crashes one client among many.
   */
  public boolean reset(SocketAddress targetSideAddress) {
    for (Link link : links) {
      Channel upstream = link.upstream;
      if (upstream != null && targetSideAddress.equals(upstream.localAddress())) {
        link.reset();
        return true;
      }
    }
    return false;
  }

  /** Stops listening (clients get connection refused) and resets every connection. */
  public FaultProxy down() {
    synchronized (bindLock) {
      if (server != null) {
        server.close().syncUninterruptibly();
        server = null;
      }
    }
    return resetAll();
  }

  /** Listens again, on the same port as before (a free one the first time). */
  public FaultProxy up() {
    synchronized (bindLock) {
      if (closed) {
        throw new IllegalStateException("proxy closed");
      }
      if (server != null) {
        return this;
      }
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              accepted.incrementAndGet();
              if (receiveBufferBytes > 0) {
                ch.config().setReceiveBufferSize(receiveBufferBytes);
              }
              new Link(ch).open();
            }
          });
      if (receiveBufferBytes > 0) {
        bootstrap.childOption(ChannelOption.SO_RCVBUF, receiveBufferBytes);
      }
      server = bootstrap.bind(InetAddress.getLoopbackAddress(), port).syncUninterruptibly().channel();
      port = ((InetSocketAddress) server.localAddress()).getPort();
      return this;
    }
  }

  // ---------------------------------------------------------------------------------- counters

  /** Bytes written onwards in {@code direction} since the start. */
  public long bytesForwarded(Direction direction) {
    return bytes.get(direction).get();
  }

  /** Segments (separate writes) written onwards in {@code direction}. */
  public long segmentsForwarded(Direction direction) {
    return segments.get(direction).get();
  }

  /** The smallest segment written in {@code direction}, or 0 if none. */
  public long minSegment(Direction direction) {
    long min = minSegment.get(direction).get();
    return min == Long.MAX_VALUE ? 0 : min;
  }

  /** The largest segment written in {@code direction}, or 0 if none. */
  public long maxSegment(Direction direction) {
    return maxSegment.get(direction).get();
  }

  /** Resets the segment-size extremes (not the byte and segment counts). */
  public void clearSegmentStats() {
    for (Direction d : Direction.values()) {
      minSegment.get(d).reset();
      maxSegment.get(d).reset();
    }
  }

  /** Connections accepted since the start. */
  public long accepted() {
    return accepted.get();
  }

  /** Connections aborted with an RST by {@link #resetAll}, {@link #resetAfter} or {@link #down}. */
  public long resets() {
    return resets.get();
  }

  /** Connections with at least one side still open. */
  public int openConnections() {
    return links.size();
  }

  /** Stops listening, resets every connection and releases the event loop. Idempotent. */
  @Override
  public void close() {
    synchronized (bindLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    down();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static long nonNegative(String name, Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " " + d.toMillis() + " ms must be >= 0");
    }
    return d.toNanos();
  }

  // ------------------------------------------------------------------------------- connections

  /** One client connection and its connection to the target; both on one event loop. */
  private final class Link {
    final SocketChannel client;
    volatile Channel upstream;
    Pipe up;
    Pipe down;

    Link(SocketChannel client) {
      this.client = client;
    }

    void open() {
      links.add(this);
      client.closeFuture().addListener(f -> forgetIfClosed());
      Bootstrap bootstrap = new Bootstrap()
          .group(client.eventLoop())
          .channel(NioSocketChannel.class)
          .option(ChannelOption.AUTO_READ, false)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
          .handler(new ChannelInboundHandlerAdapter());
      if (receiveBufferBytes > 0) {
        bootstrap.option(ChannelOption.SO_RCVBUF, receiveBufferBytes);
      }
      bootstrap.connect(target).addListener((ChannelFutureListener) f -> {
        if (!f.isSuccess()) {
          abort(client);
          return;
        }
        upstream = f.channel();
        upstream.closeFuture().addListener(x -> forgetIfClosed());
        up = new Pipe(Direction.UPSTREAM, client, upstream, this);
        down = new Pipe(Direction.DOWNSTREAM, upstream, client, this);
        client.pipeline().addLast(up);
        upstream.pipeline().addLast(down);
        client.config().setAutoRead(true);
        upstream.config().setAutoRead(true);
        if (!client.isActive()) {
          upstream.close();
        }
      });
    }

    /**
     * A link is kept until both sides are closed: a pipe may still hold delayed bytes for the open
     * side, which {@link #resetAll()} (and so {@link #close()}) must be able to release.
     */
    void forgetIfClosed() {
      Channel up = upstream;
      if (!client.isOpen() && (up == null || !up.isOpen())) {
        links.remove(this);
      }
    }

    void reset() {
      client.eventLoop().execute(() -> {
        if (!client.isOpen() && (upstream == null || !upstream.isOpen())) {
          return;
        }
        resets.incrementAndGet();
        links.remove(this);
        if (up != null) {
          up.discard();
        }
        if (down != null) {
          down.discard();
        }
        abort(client);
        if (upstream != null) {
          abort(upstream);
        }
      });
    }
  }

  private static void abort(Channel channel) {
    if (channel.isOpen()) {
      try {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException e) {
        // already closing: a plain close is all that is left
      }
      channel.close();
    }
  }

  /** Kinds of queued items besides data. */
  private enum Marker { SHUTDOWN_OUTPUT, CLOSE, RESET }

  private record Item(long dueNanos, ByteBuf data, Marker marker) {}

  /** Moves bytes from {@code source} to {@code sink}, applying the faults; event-loop confined. */
  private final class Pipe extends ChannelInboundHandlerAdapter {
    final Direction direction;
    final Channel source;
    final Channel sink;
    final Link link;
    final ArrayDeque<Item> queue = new ArrayDeque<>();
    long lastTxEndNanos;
    long lastDueNanos;
    long heldBytes;
    boolean drainScheduled;
    boolean paused;
    boolean done;
    boolean queueClosed;

    Pipe(Direction direction, Channel source, Channel sink, Link link) {
      this.direction = direction;
      this.source = source;
      this.sink = sink;
      this.link = link;
      sink.closeFuture().addListener(f -> discard()); // nothing queued can reach a closed sink
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      Faults f = faults.get(direction).get();
      if (f.blackhole || done) {
        buf.release();
        return;
      }
      try {
        int total = buf.readableBytes();
        boolean resetHere = false;
        AtomicLong budget = resetAfter.get(direction);
        long left = budget.get();
        if (left >= 0 && left <= total && budget.compareAndSet(left, -1)) {
          total = (int) left;
          resetHere = true;
        } else if (left > total) {
          budget.compareAndSet(left, left - total);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int offset = buf.readerIndex();
        int end = offset + total;
        while (offset < end) {
          int size = end - offset;
          if (f.sliceMax > 0) {
            size = Math.min(size, f.sliceMin == f.sliceMax ? f.sliceMin : random.nextInt(f.sliceMin, f.sliceMax + 1));
          }
          enqueue(f, buf.retainedSlice(offset, size), null, size);
          offset += size;
        }
        if (resetHere) {
          enqueue(f, null, Marker.RESET, 0);
          done = true; // nothing read after the cut is forwarded
        }
      } finally {
        buf.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        closing(Marker.SHUTDOWN_OUTPUT);
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closing(Marker.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset by the peer or a broken pipe: the close propagates through channelInactive
    }

    void closing(Marker marker) {
      if (done || faults.get(direction).get().blackhole) {
        return; // a blackholed path loses FINs too
      }
      long due = Math.max(lastDueNanos, System.nanoTime()) + slowCloseNanos.get();
      lastDueNanos = due;
      queue.add(new Item(due, null, marker));
      drain();
    }

    void enqueue(Faults f, ByteBuf data, Marker marker, int size) {
      if (queueClosed) {
        if (data != null) {
          data.release();
        }
        return;
      }
      long now = System.nanoTime();
      long txStart = Math.max(now, lastTxEndNanos);
      long txEnd = f.bytesPerSecond > 0 ? txStart + size * 1_000_000_000L / f.bytesPerSecond : txStart;
      lastTxEndNanos = txEnd;
      long delay = f.latencyNanos;
      if (f.jitterNanos > 0) {
        delay += ThreadLocalRandom.current().nextLong(-f.jitterNanos, f.jitterNanos + 1);
      }
      long due = Math.max(txEnd + Math.max(0, delay), lastDueNanos);
      lastDueNanos = due;
      queue.add(new Item(due, data, marker));
      heldBytes += size;
      if (heldBytes > PAUSE_BYTES && !paused) {
        paused = true;
        source.config().setAutoRead(false);
      }
      drain();
    }

    void drain() {
      long now = System.nanoTime();
      Item item;
      while ((item = queue.peek()) != null && item.dueNanos <= now) {
        queue.poll();
        deliver(item);
        if (queueClosed) {
          return;
        }
      }
      if (item != null && !drainScheduled) {
        drainScheduled = true;
        sink.eventLoop().schedule(() -> {
          drainScheduled = false;
          drain();
        }, item.dueNanos - now, TimeUnit.NANOSECONDS);
      }
    }

    void deliver(Item item) {
      if (item.data != null) {
        int size = item.data.readableBytes();
        if (!sink.isActive()) {
          item.data.release();
          released(size);
          return;
        }
        sink.writeAndFlush(item.data).addListener(w -> {
          if (w.isSuccess()) {
            bytes.get(direction).addAndGet(size);
            segments.get(direction).incrementAndGet();
            minSegment.get(direction).accumulate(size);
            maxSegment.get(direction).accumulate(size);
          }
          released(size);
        });
        return;
      }
      switch (item.marker) {
        case RESET -> {
          // After the bytes before it were written, abort both sides.
          discard();
          sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(w -> link.reset());
        }
        case SHUTDOWN_OUTPUT -> sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(w -> {
          if (sink instanceof SocketChannel socket && socket.isActive()) {
            if (socket.isInputShutdown()) {
              socket.close();
            } else {
              socket.shutdownOutput();
            }
          }
        });
        case CLOSE -> {
          done = true;
          sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        default -> throw new IllegalStateException("unknown marker " + item.marker);
      }
    }

    void released(int size) {
      heldBytes -= size;
      if (paused && heldBytes < RESUME_BYTES) {
        paused = false;
        source.config().setAutoRead(true);
      }
    }

    /** Drops everything queued (on reset). */
    void discard() {
      done = true;
      queueClosed = true;
      Item item;
      while ((item = queue.poll()) != null) {
        if (item.data != null) {
          item.data.release();
        }
      }
    }
  }
}
