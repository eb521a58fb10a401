package io.mcp.core;

import io.mcp.codec.McpException;
import io.mcp.core.internal.ClientSessionHandler;
import io.mcp.core.internal.NettySession;
import io.mcp.core.internal.SessionConfig;
import io.mcp.core.internal.Transports;
import io.mcp.core.proto.Hello;
import io.mcp.core.spi.ExtensionRegistry;
import io.mcp.core.internal.HandlerPools;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.Channel;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An MCP/1 client on Netty: connects, says Hello, and completes its future with a READY {@link
 * Session} once the server's Welcome arrives. One client may open many sessions (for example to
 * several endpoints); they share its event loops.
 *
 * <pre>{@code
 * try (McpClient client = McpClient.create(ClientOptions.builder("node-1").token(t).build())) {
 *   Session session = client.connect(new InetSocketAddress("127.0.0.1", 7400)).join();
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class McpClient implements AutoCloseable {
  private final ClientOptions options;
  private final SessionConfig sessionConfig;
  private final SslContext sslContext;
  private final boolean ownGroup;
  private final ExecutorService ownExecutor;
  private final EventLoopGroup group;

  private McpClient(ClientOptions options) {
    this.options = options;
    ExtensionRegistry extensions = ExtensionRegistry.of(options.extensionProviders());
    var codec = options.codecOptions().toBuilder();
    for (int code : extensions.commands()) {
      codec.acceptExtension(code);
    }
    this.ownExecutor = options.handlerExecutor() == null ? HandlerPools.newPool("mcp-client-handler") : null;
    this.sessionConfig = new SessionConfig(codec.build(), 64 * 1024, options.handshakeTimeout(),
        options.idleTimeout(), options.maxPingsPerInterval(), options.closeDrainTimeout(),
        new ArrayList<>(options.listeners()), extensions, options.handlers(),
        ownExecutor != null ? ownExecutor : options.handlerExecutor(), options.maxInFlightRequests(),
        options.maxOutstandingRequests(), options.maxQueuedBytes(), options.writeDeadline())
        .telemetry(options.telemetry());
    this.sslContext = options.tls() != null ? options.tls().newClientContext() : null;
    this.ownGroup = options.eventLoopGroup() == null;
    this.group = ownGroup ? Transports.newGroup(1, "mcp-client") : options.eventLoopGroup();
  }

  /** Creates a client. */
  public static McpClient create(ClientOptions options) {
    return new McpClient(options);
  }

  /** The event loop group this client connects on (its own or the shared one). */
  public EventLoopGroup eventLoopGroup() {
    return group;
  }

  /** The options this client runs with. */
  public ClientOptions options() {
    return options;
  }

  /** Connects with the options' applied versions. See {@link #connect(SocketAddress, java.util.Map)}. */
  public CompletableFuture<Session> connect(SocketAddress address) {
    return connect(address, options.appliedVersions());
  }

  /**
   * Connects to {@code address} and handshakes, telling the server {@code appliedVersions}. An
   * {@link InetSocketAddress} is reached over TCP (with TLS if configured); a Netty {@link
   * LocalAddress} over an in-VM channel, which is how relaying transports (gRPC) carry sessions.
   *
   * @return completes with the READY session; fails with the connect error, or with an {@link
   *     McpException} carrying the CLOSE code if the session closed before READY (for example
   *     UNAUTHENTICATED or HANDSHAKE_TIMEOUT); a plaintext connection that the peer ends before
   *     the handshake without a frame fails with a message asking whether the server expects TLS
   */
  public CompletableFuture<Session> connect(SocketAddress address, java.util.Map<String, Long> appliedVersions) {
    CompletableFuture<Session> result = new CompletableFuture<>();
    Hello hello = ClientSessionHandler.hello(options.nodeId(), options.serviceName(), options.token(),
        options.heartbeatInterval().toMillis(), appliedVersions, options.metadata());
    boolean tcp = !(address instanceof LocalAddress);
    Bootstrap bootstrap = new Bootstrap()
        .group(tcp ? group : localGroup())
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
            new WriteBufferWaterMark(options.writeBufferLowWaterMark(), options.writeBufferHighWaterMark()))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(options.connectTimeout().toMillis(), Integer.MAX_VALUE));
    if (tcp) {
      bootstrap.channel(Transports.clientChannel(group))
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.ALLOW_HALF_CLOSURE, true);
    } else {
      bootstrap.channel(LocalChannel.class);
    }
    bootstrap.handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            NettySession session = new NettySession(ch, sessionConfig);
            session.addListener(new SessionListener() {
              @Override
              public void onReady(Session s) {
                result.complete(s);
              }

              @Override
              public void onClosed(Session s, SessionClose close) {
                if (!result.isDone()) {
                  result.completeExceptionally(new McpException(close.code(),
                      "session to " + address + " closed before READY: " + close + silentCloseHint(close, tcp)));
                }
              }
            });
            if (sslContext != null && tcp) {
              InetSocketAddress inet = (InetSocketAddress) address;
              ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc(), inet.getHostString(), inet.getPort()));
            }
            var decoder = ClientSessionHandler.newDecoder(sessionConfig);
            ch.pipeline().addLast("mcp-decoder", decoder);
            ch.pipeline().addLast("mcp-session", new ClientSessionHandler(sessionConfig, session, decoder, hello));
          }
        });
    bootstrap.connect(address).addListener(f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(f.cause());
      }
    });
    return result;
  }

  /**
   * A plaintext TCP connection that ends before READY without a CLOSE carried no frame from the
   * peer: before READY the only frames a client accepts are the Welcome (which makes it READY) and a
   * CLOSE (a remote close). The usual cause is a TLS port, whose TLS layer drops the plaintext Hello
   * as "not an SSL/TLS record" and closes without a word (PROTOCOL.md §10).
   */
  private String silentCloseHint(SessionClose close, boolean tcp) {
    if (close.initiator() != SessionClose.Initiator.TRANSPORT || !tcp || sslContext != null) {
      return "";
    }
    return "; the peer closed the connection before the handshake, without a frame (does the server expect TLS?)";
  }

  /** In-VM channels of every client in this JVM share one small group (daemon threads). */
  private static final class SharedLocalGroup {
    static final EventLoopGroup GROUP = Transports.newLocalGroup(
        Math.max(1, Runtime.getRuntime().availableProcessors()), "mcp-client-local");
  }

  private EventLoopGroup localGroup() {
    return SharedLocalGroup.GROUP;
  }

  /** Releases the event loops this client owns (not a shared group). Open sessions are closed abruptly. */
  @Override
  public void close() {
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
    }
    if (ownGroup) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
