package io.mcp.benchmarks.sessions;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The baseline: a Netty server with the same transport, thread count and channel options as
 * {@link io.mcp.core.McpServer}, whose only handler is one shared instance that counts connections
 * drops whatever it reads and closes on the peer's EOF. It keeps no per-connection state of its own, so its cost per
 * connection is Netty's channel, pipeline and event loop registration alone. Thread-safe.
 */
final class BareNettyServer implements HeldServer {
  private final EventLoopGroup group;
  private final Channel serverChannel;
  private final AtomicInteger open = new AtomicInteger();

  private BareNettyServer(PhaseCounter counter) {
    // 0 threads: Netty's default, as McpServer uses when ServerOptions.ioThreads is not set.
    this.group = NettyTransport.newGroup(0, "bare-server");
    ChannelHandler holder = new HoldHandler(counter, open);
    this.serverChannel = new ServerBootstrap()
        .group(group)
        .channel(NettyTransport.serverChannel())
        .option(ChannelOption.SO_BACKLOG, 4096)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childHandler(holder)
        .bind(new InetSocketAddress("127.0.0.1", 0))
        .syncUninterruptibly()
        .channel();
  }

  static BareNettyServer start(PhaseCounter counter) {
    return new BareNettyServer(counter);
  }

  @Override
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  @Override
  public int openConnections() {
    return open.get();
  }

  @Override
  public int readySessions() {
    return open.get();
  }

  @Override
  public int sessionsWithRtt() {
    return -1;
  }

  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Counts connections; an accepted connection is "ready" at once. */
  @ChannelHandler.Sharable
  private static final class HoldHandler extends ChannelInboundHandlerAdapter {
    private final PhaseCounter counter;
    private final AtomicInteger open;

    HoldHandler(PhaseCounter counter, AtomicInteger open) {
      this.counter = counter;
      this.open = open;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      open.incrementAndGet();
      counter.onAccepted();
      counter.onReady();
      ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      open.decrementAndGet();
      counter.onClosed("transport: connection closed");
      ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    /** With half-closure allowed (as on the MCP server), the peer's EOF arrives as an event. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.close();
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
