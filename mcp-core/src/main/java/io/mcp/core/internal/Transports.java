package io.mcp.core.internal;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
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

/** Picks epoll when it is available, NIO otherwise, and the channel classes that match a group. */
public final class Transports {
  private Transports() {}

  /** Whether the native epoll transport can be used here. */
  public static boolean epollAvailable() {
    return Epoll.isAvailable();
  }

  /** A new event loop group: epoll when available, else NIO. {@code threads} 0 = Netty's default. */
  public static EventLoopGroup newGroup(int threads, String name) {
    DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
    return epollAvailable()
        ? new MultiThreadIoEventLoopGroup(threads, factory, EpollIoHandler.newFactory())
        : new MultiThreadIoEventLoopGroup(threads, factory, NioIoHandler.newFactory());
  }

  /** A group for in-VM {@code LocalChannel}s (they cannot register on NIO or epoll loops). */
  public static EventLoopGroup newLocalGroup(int threads, String name) {
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true),
        io.netty.channel.local.LocalIoHandler.newFactory());
  }

  private static boolean isEpoll(EventLoopGroup group) {
    return group instanceof IoEventLoopGroup && ((IoEventLoopGroup) group).isIoType(EpollIoHandler.class);
  }

  public static Class<? extends ServerSocketChannel> serverChannel(EventLoopGroup group) {
    return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  public static Class<? extends SocketChannel> clientChannel(EventLoopGroup group) {
    return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
  }
}
