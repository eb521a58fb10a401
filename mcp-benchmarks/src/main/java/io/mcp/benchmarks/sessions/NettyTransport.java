package io.mcp.benchmarks.sessions;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The transport the benchmark's own Netty code uses: epoll when available, NIO otherwise — the
 * same choice {@link io.mcp.core.McpServer} makes for its own event loops. Stateless.
 */
final class NettyTransport {
  private NettyTransport() {}

  static String name() {
    return Epoll.isAvailable() ? "epoll" : "nio";
  }

  /** A group of daemon threads; {@code threads} 0 is Netty's default (2 × available processors). */
  static EventLoopGroup newGroup(int threads, String name) {
    DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
    return new MultiThreadIoEventLoopGroup(threads, factory,
        Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
  }

  static Class<? extends ServerSocketChannel> serverChannel() {
    return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  static Class<? extends SocketChannel> channel() {
    return Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
  }
}
