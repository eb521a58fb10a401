package io.mcp.core;

import io.mcp.codec.CloseCode;
import io.mcp.core.internal.NettySession;
import io.mcp.core.internal.ServerGate;
import io.mcp.core.internal.ServerSessionHandler;
import io.mcp.core.internal.SessionConfig;
import io.mcp.core.internal.Transports;
import io.mcp.core.spi.ExtensionCommandProvider;
import io.mcp.core.spi.ExtensionRegistry;
import io.mcp.codec.Envelope;
import io.mcp.core.internal.Frames;
import io.mcp.core.internal.HandlerPools;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An MCP/1 server on Netty: accepts connections, runs the handshake, authenticates, keeps sessions
 * alive with heartbeats and enforces the limits of its {@link ServerOptions}.
 *
 * <pre>{@code
 * McpServer server = McpServer.create(ServerOptions.builder()
 *     .host("127.0.0.1").port(7400)
 *     .authenticator(Authenticators.staticToken(secret))
 *     .build()).start();
 * }</pre>
 *
 * <p>Uses epoll when available, NIO otherwise, or the event loop group it is given. {@link
 * #shutdown(Duration)} sends CLOSE(GOING_AWAY) to every session and waits for them within a grace
 * period. Thread-safe.
 */
public final class McpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(McpServer.class);
  /** Upper bound on waiting, at shutdown, for relays to follow their sessions' close. */
  private static final long RELAY_CLOSE_WAIT_SECONDS = 2;

  private final ServerOptions options;
  private final SessionConfig sessionConfig;
  private final ServerGate gate;
  private final SslContext sslContext;
  private final boolean ownGroup;
  private final ExecutorService ownExecutor;
  private final EventLoopGroup group;
  private final EventLoopGroup localGroup;
  private final Set<NettySession> sessions = ConcurrentHashMap.newKeySet();
  /** The allocator of every channel this server accepts, and of the frames it broadcasts to them. */
  private final ByteBufAllocator allocator = ByteBufAllocator.DEFAULT;
  /** Transport peers announced by relays, keyed by the relay channel's in-VM address. */
  private final Map<SocketAddress, RelayedPeer> relayedPeers = new ConcurrentHashMap<>();
  /** Open channels made by {@link #connectRelay}: their close still posts a task to our local loops. */
  private final Set<Channel> relayChannels = ConcurrentHashMap.newKeySet();
  private final List<Consumer<Duration>> shutdownHooks = new CopyOnWriteArrayList<>();
  private final java.util.function.LongFunction<Duration> heartbeatNegotiation;
  private final Object lifecycle = new Object();
  private Channel serverChannel;
  private Channel localChannel;
  private CompletableFuture<Void> shutdown;

  private McpServer(ServerOptions options) {
    this.options = options;
    List<ExtensionCommandProvider> providers = new ArrayList<>(options.extensionProviders());
    if (options.loadExtensionProviders()) {
      providers.addAll(ExtensionRegistry.loadProviders());
    }
    ExtensionRegistry extensions = ExtensionRegistry.of(providers);
    var codec = options.codecOptions().toBuilder();
    for (int code : extensions.commands()) {
      codec.acceptExtension(code);
    }
    List<SessionListener> listeners = new ArrayList<>(options.listeners());
    listeners.add(0, new SessionListener() {
      @Override
      public void onClosed(Session session, SessionClose close) {
        sessions.remove((NettySession) session);
      }
    });
    this.ownExecutor = options.handlerExecutor() == null ? HandlerPools.newPool("mcp-server-handler") : null;
    this.sessionConfig = new SessionConfig(codec.build(), options.maxHandshakePayloadBytes(),
        options.handshakeTimeout(), options.idleTimeout(), options.maxPingsPerInterval(),
        options.closeDrainTimeout(), listeners, extensions, options.handlers(),
        ownExecutor != null ? ownExecutor : options.handlerExecutor(), options.maxInFlightRequests(),
        options.maxOutstandingRequests(), options.maxQueuedBytes(), options.writeDeadline())
        .telemetry(options.telemetry());
    this.gate = new ServerGate(options.maxConnections(), options.maxPendingHandshakes());
    this.heartbeatNegotiation = options::negotiateHeartbeat;
    this.sslContext = options.tls() != null ? options.tls().newServerContext() : null;
    this.ownGroup = options.eventLoopGroup() == null;
    this.group = ownGroup ? Transports.newGroup(options.ioThreads(), "mcp-server") : options.eventLoopGroup();
    this.localGroup = Transports.newLocalGroup(options.ioThreads(), "mcp-server-local");
  }

  /**
   * Creates a server; {@link #start()} binds it.
   *
   * @throws IllegalStateException if two extension providers claim one command (naming both)
   * @throws IllegalArgumentException if the TLS files cannot be read
   */
  public static McpServer create(ServerOptions options) {
    return new McpServer(options);
  }

  /**
   * Binds and starts accepting; returns once bound.
   *
   * @throws IllegalStateException if already started, or binding failed (with the address)
   */
  public McpServer start() {
    synchronized (lifecycle) {
      if (serverChannel != null) {
        throw new IllegalStateException("server already started");
      }
      if (options.authenticator().allowsAll()) {
        log.warn("MCP server {} accepts every client: the allow-all authenticator is configured", options.serverId());
      }
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(group)
          .channel(Transports.serverChannel(group))
          .option(ChannelOption.SO_BACKLOG, 4096)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.ALLOCATOR, allocator)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
              new WriteBufferWaterMark(options.writeBufferLowWaterMark(), options.writeBufferHighWaterMark()))
          .childHandler(sessionInitializer(true));
      InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
      try {
        serverChannel = bootstrap.bind(address).syncUninterruptibly().channel();
        localChannel = new ServerBootstrap()
            .group(localGroup)
            .channel(LocalServerChannel.class)
            .childOption(ChannelOption.ALLOCATOR, allocator)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(options.writeBufferLowWaterMark(), options.writeBufferHighWaterMark()))
            .childHandler(sessionInitializer(false))
            .bind(new LocalAddress("mcp-" + options.serverId() + "-" + Long.toHexString(System.nanoTime())))
            .syncUninterruptibly().channel();
      } catch (RuntimeException e) {
        if (serverChannel != null) {
          serverChannel.close();
        }
        if (ownGroup) {
          group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        localGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        throw new IllegalStateException("cannot bind MCP server to " + address + ": " + e.getMessage(), e);
      }
      log.info("MCP server {} listening on {} ({}{})", options.serverId(), serverChannel.localAddress(),
          Transports.epollAvailable() && ownGroup ? "epoll" : "nio or shared group", sslContext != null ? ", TLS" : "");
      return this;
    }
  }

  private ChannelInitializer<Channel> sessionInitializer(boolean tls) {
    return new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        NettySession session = new NettySession(ch, sessionConfig);
        sessions.add(session);
        if (tls && sslContext != null) {
          ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc()));
        }
        RelayedPeer relayed = null;
        if (!tls) {
          SocketAddress relayAddress = ch.remoteAddress();
          relayed = relayAddress == null ? null : relayedPeers.remove(relayAddress);
          if (relayed != null && relayed.remoteAddress() != null) {
            session.relayedFrom(relayed.remoteAddress());
          }
        }
        var decoder = ServerSessionHandler.newDecoder(sessionConfig);
        ch.pipeline().addLast("mcp-decoder", decoder);
        ch.pipeline().addLast("mcp-session", new ServerSessionHandler(sessionConfig, session, decoder, gate,
            options.authenticator(), options.serverId(), heartbeatNegotiation, relayed));
      }
    };
  }

  /**
   * The in-VM address on which other transports hand sessions to this server: a transport that
   * connects a Netty {@code LocalChannel} here and relays MCP/1 bytes gets a session exactly like a
   * TCP one (same handshake, authentication, heartbeat, limits and handlers). The gRPC transport of
   * mcp-grpc works this way. Available once started.
   */
  public LocalAddress localTransportAddress() {
    synchronized (lifecycle) {
      if (localChannel == null) {
        throw new IllegalStateException("server not started");
      }
      return (LocalAddress) localChannel.localAddress();
    }
  }

  /**
   * Connects a relay to {@link #localTransportAddress()} on behalf of a peer reached over another
   * transport, so that the session's {@link io.mcp.core.spi.AuthenticationRequest} carries that
   * peer's address and TLS client certificates instead of the in-VM channel's. mcp-grpc uses it for
   * agents on gRPC (the HTTP/2 connection's address and mTLS chain). The announcement is consumed
   * by the session the returned channel opens, or dropped if the connect fails.
   *
   * @param group the event loop group for the relay channel (must support {@code LocalChannel})
   * @param handler the relay's handler
   * @param peer the peer on its own transport, or {@code null} to report the in-VM channel's
   */
  public ChannelFuture connectRelay(EventLoopGroup group, ChannelHandler handler, RelayedPeer peer) {
    LocalAddress relayAddress = new LocalAddress("mcp-relay-" + UUID.randomUUID());
    if (peer != null) {
      relayedPeers.put(relayAddress, peer);
    }
    ChannelFuture connect = new Bootstrap().group(group).channel(LocalChannel.class).handler(handler)
        .localAddress(relayAddress)
        .connect(localTransportAddress());
    connect.addListener(f -> relayedPeers.remove(relayAddress)); // consumed on accept; never left behind
    Channel relay = connect.channel();
    relayChannels.add(relay);
    relay.closeFuture().addListener(f -> relayChannels.remove(relay));
    return connect;
  }

  /**
   * The peer of a session relayed from another transport (such as gRPC): its address and verified
   * TLS client certificate chain there, which the session's authentication and
   * {@link Session#remoteAddress()} report instead of the in-VM channel's.
   *
   * @param remoteAddress the peer's address on its own transport, or {@code null} if unknown
   * @param certificates the verified client certificate chain; empty without mutual TLS
   */
  public record RelayedPeer(SocketAddress remoteAddress, List<X509Certificate> certificates) {
    public RelayedPeer {
      certificates = List.copyOf(certificates);
    }
  }

  /** The event loop group the server runs on (its own or the shared one). */
  public EventLoopGroup eventLoopGroup() {
    return group;
  }

  /** The bound port (useful after binding port 0). */
  public int port() {
    return localAddress().getPort();
  }

  /** The bound address. */
  public InetSocketAddress localAddress() {
    synchronized (lifecycle) {
      if (serverChannel == null) {
        throw new IllegalStateException("server not started");
      }
      return (InetSocketAddress) serverChannel.localAddress();
    }
  }

  /** The options this server runs with. */
  public ServerOptions options() {
    return options;
  }

  /** Sessions not yet CLOSED, in any state. */
  public Collection<Session> sessions() {
    return List.copyOf(sessions);
  }

  /** Open connections, counted against {@link ServerOptions#maxConnections()}. */
  public int connectionCount() {
    return gate.connections();
  }

  /** Connections not yet READY, counted against {@link ServerOptions#maxPendingHandshakes()}. */
  public int pendingHandshakeCount() {
    return gate.pendingHandshakes();
  }

  /**
   * Sends one one-way message to many sessions: the frame is encoded once and the same bytes are
   * written to every READY session (no per-session encoding or copying). Each session's outbound
   * budget applies: a session over budget gets OVERLOADED, the others are unaffected.
   *
   * @return per session, completes when the frame was written to its socket
   * @throws IllegalArgumentException if the envelope is invalid or exceeds the max payload
   */
  public Map<Session, CompletableFuture<Void>> broadcast(Collection<? extends Session> targets, String type,
      Map<String, String> headers, ByteBuffer body) {
    ByteBuf frame = encodeOneWay(type, headers, body);
    try {
      return broadcast(targets, frame);
    } finally {
      frame.release();
    }
  }

  /**
   * Encodes a one-way message into one DATA frame for {@link #broadcast(Collection, ByteBuf)}, with
   * the allocator of this server's channels. The caller releases it.
   *
   * @throws IllegalArgumentException if the envelope is invalid or exceeds the max payload
   */
  ByteBuf encodeOneWay(String type, Map<String, String> headers, ByteBuffer body) {
    Envelope envelope = Envelope.oneWay(type, headers, body);
    int length = envelope.encodedLength();
    if (length > sessionConfig.maxPayloadBytes()) {
      throw new IllegalArgumentException("envelope of " + length + " bytes exceeds max payload "
          + sessionConfig.maxPayloadBytes());
    }
    return Frames.encodeEnvelope(allocator, options.byteOrder(), envelope);
  }

  /**
   * Writes an encoded frame to many sessions of this server: each gets a retained duplicate (same
   * bytes, own indices). {@code frame} is not consumed, so one frame can serve several calls.
   */
  Map<Session, CompletableFuture<Void>> broadcast(Collection<? extends Session> targets, ByteBuf frame) {
    Map<Session, CompletableFuture<Void>> results = new LinkedHashMap<>();
    for (Session target : targets) {
      results.put(target, ((NettySession) target).writeShared(frame.retainedDuplicate()));
    }
    return results;
  }

  /**
   * Registers {@code hook} to run first when this server shuts down, on the thread calling
   * {@link #shutdown}, with its grace period, before this server closes a session or releases an
   * event loop. It is for transports that relay sessions into this server or run on its
   * {@link #eventLoopGroup()} (mcp-grpc's {@code GrpcControlPlaneServer} by default), so that they
   * stop first whichever order the application shuts things down in; such a hook must tolerate
   * having been stopped already. A hook that throws is logged and the shutdown goes on. Thread-safe.
   */
  public void addShutdownHook(Consumer<Duration> hook) {
    shutdownHooks.add(Objects.requireNonNull(hook, "hook"));
  }

  /**
   * Removes a hook added with {@link #addShutdownHook} (the same instance), for a transport that
   * stopped on its own before this server. Thread-safe; a hook not registered is ignored.
   */
  public void removeShutdownHook(Consumer<Duration> hook) {
    shutdownHooks.remove(hook);
  }

  /**
   * Runs the {@linkplain #addShutdownHook shutdown hooks}, stops accepting, sends CLOSE(GOING_AWAY)
   * to every session, waits up to {@code grace} for them to close, then closes what is left and
   * releases the event loops it owns (once the in-VM relays to its sessions have closed too).
   * Idempotent.
   */
  public CompletableFuture<Void> shutdown(Duration grace) {
    synchronized (lifecycle) {
      if (shutdown != null) {
        return shutdown;
      }
      shutdown = new CompletableFuture<>();
    }
    for (Consumer<Duration> hook : shutdownHooks) {
      try {
        hook.accept(grace);
      } catch (RuntimeException e) {
        log.warn("MCP server {}: shutdown hook {} failed", options.serverId(), hook, e);
      }
    }
    synchronized (lifecycle) {
      if (serverChannel != null) {
        serverChannel.close().syncUninterruptibly();
      }
      if (localChannel != null) {
        localChannel.close().syncUninterruptibly();
      }
    }
    List<CompletableFuture<SessionClose>> closing = new ArrayList<>();
    for (NettySession session : sessions) {
      session.close(CloseCode.GOING_AWAY, "server shutting down");
      closing.add(session.closeFuture());
    }
    CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0]))
        .orTimeout(grace.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((ok, timeout) -> {
          for (NettySession session : sessions) {
            session.channel().close();
          }
          if (ownExecutor != null) {
            ownExecutor.shutdownNow();
          }
          // A LocalChannel that closes second hands its peer's event loop one last task: the loops of
          // the in-VM sessions must outlive the relays on the other end of them (RejectedExecutionException
          // warnings otherwise). Relays whose own loops are gone never close; they are waited for boundedly.
          relaysClosed().orTimeout(RELAY_CLOSE_WAIT_SECONDS, TimeUnit.SECONDS).whenComplete((done, slow) -> {
            Future<?> local = localGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            Future<?> io = ownGroup ? group.shutdownGracefully(0, 2, TimeUnit.SECONDS) : local;
            local.addListener(l -> io.addListener(f -> shutdown.complete(null)));
          });
        });
    return shutdown;
  }

  /** Completes once every relay channel open now has closed. */
  private CompletableFuture<Void> relaysClosed() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (Channel relay : relayChannels) {
      CompletableFuture<Void> closed = new CompletableFuture<>();
      relay.closeFuture().addListener(f -> closed.complete(null));
      closing.add(closed);
    }
    return CompletableFuture.allOf(closing.toArray(new CompletableFuture<?>[0]));
  }

  /** {@link #shutdown(Duration)} with a 10 s grace period, waiting for it to finish. */
  @Override
  public void close() {
    shutdown(Duration.ofSeconds(10)).join();
  }
}
