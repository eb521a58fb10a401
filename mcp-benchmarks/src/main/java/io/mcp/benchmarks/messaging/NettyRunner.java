package io.mcp.benchmarks.messaging;

import io.mcp.core.internal.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.collection.LongObjectHashMap;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The baseline: what a competent Netty user writes for the same job, on the same transport and
 * thread layout as MCP (groups from MCP's own {@link Transports}: a server group of {@code
 * --server-threads} loops, a client group of one loop holding every channel), with MCP's socket
 * options (TCP_NODELAY, water marks 256 KiB / 1 MiB).
 *
 * <pre>
 * frame:  length u32 (LengthFieldPrepender(4); not counting itself)
 *         tag    u8   0 ONE_WAY, 1 REQUEST, 2 RESPONSE
 *         id     u64  REQUEST and RESPONSE only: the correlation id
 *         body        the rest
 * </pre>
 *
 * <p>Flushing: the one-way producer writes with the void promise and flushes once per burst; the
 * server and the request client write in {@code channelRead} and flush in {@code
 * channelReadComplete}. The echo server answers with the request's own buffer, tag rewritten.
 */
final class NettyRunner {
  static final byte ONE_WAY = 0;
  static final byte REQUEST = 1;
  static final byte RESPONSE = 2;
  private static final int MAX_FRAME_BYTES = 1 << 20;
  private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 * 1024, 1024 * 1024);

  private NettyRunner() {}

  static Measurement run(DriverOptions o, Scenario scenario, int width) throws Exception {
    LongAdder received = new LongAdder();
    boolean prepender = o.prepender;
    EventLoopGroup serverGroup = Transports.newGroup(o.serverThreads, "netty-server");
    EventLoopGroup clientGroup = Transports.newGroup(1, "netty-client");
    try {
      Channel server = new ServerBootstrap()
          .group(serverGroup)
          .channel(Transports.serverChannel(serverGroup))
          .option(ChannelOption.SO_BACKLOG, 4096)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              addFraming(ch.pipeline(), prepender);
              ch.pipeline().addLast("server", new ServerHandler(received, prepender ? 0 : 4));
            }
          })
          .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
      InetSocketAddress address = (InetSocketAddress) server.localAddress();
      int connections = scenario == Scenario.ONE_WAY ? width : 1;
      RequestClient requests = scenario == Scenario.ONE_WAY ? null
          : new RequestClient(width, o.bodyBytes, prepender, McpRunner.recorderCapacity(o));
      Bootstrap bootstrap = new Bootstrap()
          .group(clientGroup)
          .channel(Transports.clientChannel(clientGroup))
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              addFraming(ch.pipeline(), prepender);
              if (requests != null) {
                ch.pipeline().addLast("requests", requests);
              }
            }
          });
      List<Channel> channels = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        channels.add(bootstrap.connect(address).sync().channel());
      }
      try {
        return scenario == Scenario.ONE_WAY
            ? oneWay(o, channels, received, clientGroup.next())
            : requests(o, scenario, width, requests);
      } finally {
        for (Channel ch : channels) {
          ch.close();
        }
        server.close().sync();
      }
    } finally {
      clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static void addFraming(ChannelPipeline pipeline, boolean prepender) {
    pipeline.addLast("decoder", new LengthFieldBasedFrameDecoder(MAX_FRAME_BYTES, 0, 4, 0, prepender ? 4 : 0));
    if (prepender) {
      pipeline.addLast("prepender", new LengthFieldPrepender(4));
    }
  }

  private static Measurement oneWay(DriverOptions o, List<Channel> channels, LongAdder received, EventLoop loop)
      throws Exception {
    List<OneWayProducer> producers = new ArrayList<>();
    if (o.producerOnLoop) {
      producers.add(OneWayProducer.onLoop(new Sink(channels, o.bodyBytes, o.prepender), o.burst, loop));
    } else {
      int threads = Math.min(o.producers, channels.size());
      for (int p = 0; p < threads; p++) {
        producers.add(OneWayProducer.onThread(new Sink(channels, o.bodyBytes, o.prepender), p, threads, o.burst,
            "netty-producer-" + p));
      }
    }
    producers.forEach(OneWayProducer::start);
    Window window;
    try {
      window = Window.measure(received::sum, o.warmupSeconds, o.seconds, () -> { }, () -> { });
    } finally {
      for (OneWayProducer p : producers) {
        p.stop();
      }
    }
    long notWritable = 0;
    long refused = 0;
    long parks = 0;
    for (OneWayProducer p : producers) {
      notWritable += p.notWritable;
      refused += p.refused;
      parks += p.parks;
    }
    return new Measurement(Scenario.ONE_WAY, Implementation.NETTY, channels.size(), window.count,
        window.elapsedNanos, notWritable, refused, parks, null);
  }

  /** Writes a pooled buffer per message with the void promise; flushes once per burst. */
  private static final class Sink implements OneWaySink {
    private final Channel[] channels;
    private final ByteBuffer body;
    private final boolean prepender;

    Sink(List<Channel> channels, int bodyBytes, boolean prepender) {
      this.channels = channels.toArray(new Channel[0]);
      this.body = ByteBuffer.wrap(Payloads.body(bodyBytes));
      this.prepender = prepender;
    }

    @Override
    public int connections() {
      return channels.length;
    }

    @Override
    public boolean isWritable(int index) {
      return channels[index].isWritable();
    }

    @Override
    public boolean send(int index) {
      Channel ch = channels[index];
      int length = 1 + body.remaining();
      ByteBuf frame = ch.alloc().ioBuffer(prepender ? length : 4 + length);
      if (!prepender) {
        frame.writeInt(length);
      }
      frame.writeByte(ONE_WAY);
      frame.writeBytes(body.duplicate());
      ch.write(frame, ch.voidPromise());
      return true;
    }

    @Override
    public void endBurst(int index) {
      channels[index].flush();
    }
  }

  /** Counts one-way frames; echoes requests with their own buffer; flushes once per read batch. */
  private static final class ServerHandler extends ChannelInboundHandlerAdapter {
    private final LongAdder received;
    private final int tagOffset;
    private boolean flushPending;

    ServerHandler(LongAdder received, int tagOffset) {
      this.received = received;
      this.tagOffset = tagOffset;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      int tagIndex = frame.readerIndex() + tagOffset;
      byte tag = frame.getByte(tagIndex);
      if (tag == ONE_WAY) {
        received.increment();
        frame.release();
      } else if (tag == REQUEST) {
        frame.setByte(tagIndex, RESPONSE);
        ctx.write(frame, ctx.voidPromise());
        flushPending = true;
      } else {
        frame.release();
        throw new IllegalStateException("unexpected tag " + tag);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (flushPending) {
        flushPending = false;
        ctx.flush();
      }
      ctx.fireChannelReadComplete();
    }
  }

  private static Measurement requests(DriverOptions o, Scenario scenario, int inFlight, RequestClient requests)
      throws Exception {
    requests.start();
    Window window = Window.measure(requests.completed::get, o.warmupSeconds, o.seconds,
        () -> requests.recording = true, () -> requests.recording = false);
    requests.stop();
    return new Measurement(scenario, Implementation.NETTY, inFlight, window.count, window.elapsedNanos, 0, 0, 0,
        requests.recorder.percentiles());
  }

  /**
   * Keeps {@code inFlight} requests outstanding on one channel, correlated by id through a
   * primitive-keyed map of send times: each response issues the next request from {@code
   * channelRead}; writes are flushed once per read batch, like MCP's once-per-turn flush. Confined
   * to the channel's event loop except the volatile flags.
   */
  private static final class RequestClient extends ChannelInboundHandlerAdapter {
    final AtomicLong completed = new AtomicLong();
    final LatencyRecorder recorder;
    volatile boolean recording;
    private volatile boolean stopping;
    private final int inFlight;
    private final int bodyBytes;
    private final ByteBuffer body;
    private final boolean prepender;
    private final LongObjectHashMap<Long> sentNanos = new LongObjectHashMap<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private ChannelHandlerContext ctx;
    private long nextId;

    RequestClient(int inFlight, int bodyBytes, boolean prepender, int recorderCapacity) {
      this.inFlight = inFlight;
      this.bodyBytes = bodyBytes;
      this.body = ByteBuffer.wrap(Payloads.body(bodyBytes));
      this.prepender = prepender;
      this.recorder = new LatencyRecorder(recorderCapacity);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    void start() {
      ctx.executor().execute(() -> {
        for (int i = 0; i < inFlight; i++) {
          issue();
        }
        ctx.flush();
      });
    }

    void stop() throws Exception {
      stopping = true;
      drained.get(30, TimeUnit.SECONDS);
    }

    private void issue() {
      long id = ++nextId;
      long start = System.nanoTime();
      int length = 1 + 8 + body.remaining();
      ByteBuf frame = ctx.alloc().ioBuffer(prepender ? length : 4 + length);
      if (!prepender) {
        frame.writeInt(length);
      }
      frame.writeByte(REQUEST).writeLong(id).writeBytes(body.duplicate());
      sentNanos.put(id, Long.valueOf(start));
      ctx.write(frame, ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      long now = System.nanoTime();
      ByteBuf frame = (ByteBuf) msg;
      try {
        int tagIndex = frame.readerIndex() + (prepender ? 0 : 4);
        if (frame.getByte(tagIndex) != RESPONSE) {
          throw new IllegalStateException("expected RESPONSE, got tag " + frame.getByte(tagIndex));
        }
        Long start = sentNanos.remove(frame.getLong(tagIndex + 1));
        if (start == null) {
          throw new IllegalStateException("response to unknown id " + frame.getLong(tagIndex + 1));
        }
        int bodyLength = frame.writerIndex() - tagIndex - 9;
        if (bodyLength != bodyBytes) {
          throw new IllegalStateException("echo of " + bodyLength + " bytes, sent " + bodyBytes);
        }
        completed.incrementAndGet();
        if (recording) {
          recorder.record(now - start);
        }
      } catch (RuntimeException e) {
        drained.completeExceptionally(e);
        return;
      } finally {
        frame.release();
      }
      if (!stopping) {
        issue();
      } else if (sentNanos.isEmpty()) {
        drained.complete(null);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      ctx.fireChannelReadComplete();
    }
  }
}
