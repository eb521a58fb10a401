package io.mcp.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.util.TransmitStatusRuntimeExceptionInterceptor;
import io.mcp.codec.CloseCode;
import io.mcp.core.Controller;
import io.mcp.core.Session;
import io.mcp.core.TlsOptions;
import io.mcp.core.internal.NettySession;
import io.mcp.core.internal.Transports;
import io.mcp.core.spi.Authenticator;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the ControlPlane gRPC service for a {@link Controller}, with health checking and server
 * reflection, on grpc-netty, by default on the same Netty event loops as the controller's MCP/1
 * server. Agents that {@code Connect} over gRPC become sessions of the controller's MCP/1 server,
 * equal to TCP agents.
 *
 * <pre>{@code
 * GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller,
 *     GrpcServerOptions.builder().port(7500).build()).start();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class GrpcControlPlaneServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcControlPlaneServer.class);
  /** Upper bound on waiting, at shutdown, for both ends of the relays to close once asked to. */
  private static final long RELAY_CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);
  /** Upper bound on waiting, at shutdown, for this server's own event loops to terminate. */
  private static final long LOOP_TERMINATION_WAIT_SECONDS = 5;

  private final Controller controller;
  private final GrpcServerOptions options;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ScheduledExecutorService timer;
  private final ControlPlaneService service;
  private final EventLoopGroup localGroup;
  private final EventLoopGroup ownGroup;
  private final Server server;
  private final EventLoopGroup group;
  /** The same intercepted service, reachable without a socket (the HTTP/JSON gateway uses it). */
  private final Server inProcessServer;
  private final ManagedChannel inProcessChannel;
  /** Registered with the controller's MCP server so that this server stops first; removed when it stops. */
  private final java.util.function.Consumer<Duration> shutdownHook = this::shutdown;
  /** Run first by {@link #shutdown}: components on this server, such as the HTTP gateway. */
  private final List<Runnable> beforeShutdown = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicBoolean shutDown = new AtomicBoolean();

  private GrpcControlPlaneServer(Controller controller, GrpcServerOptions options) {
    this.controller = controller;
    this.options = options;
    this.timer = Executors.newSingleThreadScheduledExecutor(
        new io.netty.util.concurrent.DefaultThreadFactory("mcp-grpc-timer", true));
    this.localGroup = Transports.newLocalGroup(0, "mcp-grpc-relay");
    Authenticator authenticator = options.authenticator() != null ? options.authenticator()
        : controller.server().options().authenticator();
    this.service = new ControlPlaneService(controller, localGroup, timer,
        new IdempotencyCache(10_000, Duration.ofMinutes(10), Clock.systemUTC()),
        options.statusQueueLimit(), options.statusLagTimeout());
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(options.host(), options.port()));
    if (options.shareEventLoops()) {
      group = controller.server().eventLoopGroup();
      ownGroup = null;
    } else {
      ownGroup = Transports.newGroup(0, "mcp-grpc");
      group = ownGroup;
    }
    builder.bossEventLoopGroup(group).workerEventLoopGroup(group).channelType(Transports.serverChannel(group));
    if (options.tls() != null) {
      builder.sslContext(sslContext(options.tls()));
    }
    builder
        .maxInboundMessageSize(options.maxInboundMessageBytes())
        .maxInboundMetadataSize(options.maxInboundMetadataBytes())
        .permitKeepAliveTime(options.permitKeepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(false)
        .maxConcurrentCallsPerConnection(options.maxConcurrentCallsPerConnection())
        .maxRstFramesPerWindow(options.maxRstFramesPerWindow(), (int) Math.max(1, options.rstWindow().toSeconds()))
        .handshakeTimeout(options.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionIdle(options.maxConnectionIdle().toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionAge(options.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionAgeGrace(options.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS)
        .addService(intercepted(service, authenticator))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    this.server = builder.build();
    String name = "mcp-grpc-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());
    this.inProcessServer = InProcessServerBuilder.forName(name)
        .maxInboundMessageSize(options.maxInboundMessageBytes())
        .maxInboundMetadataSize(options.maxInboundMetadataBytes())
        .addService(intercepted(service, authenticator))
        .build();
    this.inProcessChannel = InProcessChannelBuilder.forName(name)
        .maxInboundMessageSize(Integer.MAX_VALUE)
        .build();
  }

  /** The service behind every interceptor, in the order a call passes them (the last added runs first). */
  private ServerServiceDefinition intercepted(ControlPlaneService service, Authenticator authenticator) {
    return withExtraInterceptors(ServerInterceptors.intercept(service,
        TransmitStatusRuntimeExceptionInterceptor.instance(),
        Interceptors.authentication(authenticator, options.adminRole()),
        Interceptors.deadlines(options.defaultDeadline(), options.maxDeadline(), timer),
        Interceptors.logging(options.metrics())), options.interceptors());
  }

  /** Wraps {@code service} so that the first of {@code extra} runs first, outside the built-ins. */
  private static io.grpc.ServerServiceDefinition withExtraInterceptors(io.grpc.ServerServiceDefinition service,
      java.util.List<io.grpc.ServerInterceptor> extra) {
    java.util.List<io.grpc.ServerInterceptor> reversed = new java.util.ArrayList<>(extra);
    java.util.Collections.reverse(reversed); // ServerInterceptors.intercept runs the last one first
    return reversed.isEmpty() ? service : ServerInterceptors.intercept(service, reversed);
  }

  /** Creates the server; {@link #start()} binds it. */
  public static GrpcControlPlaneServer create(Controller controller, GrpcServerOptions options) {
    return new GrpcControlPlaneServer(controller, options);
  }

  /**
   * The server context: {@link TlsOptions#newServerContextBuilder()} (its file checks, JDK provider,
   * protocols and client authentication) with gRPC's HTTP/2 ALPN and ciphers on top.
   */
  static io.netty.handler.ssl.SslContext sslContext(TlsOptions tls) {
    SslContextBuilder builder = tls.newServerContextBuilder(); // names a missing or unreadable file
    try {
      return GrpcSslContexts.configure(builder, SslProvider.JDK).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot build gRPC TLS server context: " + e.getMessage(), e);
    }
  }

  /**
   * Binds and starts serving; health reports SERVING.
   *
   * @throws UncheckedIOException if the port cannot be bound
   */
  public GrpcControlPlaneServer start() {
    try {
      server.start();
      inProcessServer.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind gRPC server to " + options.host() + ":" + options.port(), e);
    }
    // Stops first when the controller does: the relays end in its sessions, and by default this
    // server runs on its event loops.
    controller.server().addShutdownHook(shutdownHook);
    health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus(ControlPlaneGrpc.SERVICE_NAME, HealthCheckResponse.ServingStatus.SERVING);
    log.info("ControlPlane gRPC listening on port {}{}", port(), options.tls() != null ? " (TLS)" : "");
    return this;
  }

  /** The bound port (the one asked for, or the one the system chose for port 0). */
  public int port() {
    return server.getPort();
  }

  /**
   * A channel to this server's ControlPlane service that stays inside the JVM. Calls on it pass
   * the very interceptors a network call passes (bearer authentication, admin authorization,
   * validation, the server's default and maximum deadlines, logging), so they are authorised by
   * the {@code authorization} metadata they carry, exactly like remote calls. The HTTP/JSON
   * gateway dispatches through it. Owned by this server: closed by {@link #shutdown(Duration)}.
   */
  public ManagedChannel inProcessChannel() {
    return inProcessChannel;
  }

  /** The Netty event loops this server's transport runs on (the controller's when shared). */
  public EventLoopGroup eventLoopGroup() {
    return group;
  }

  /** The controller this server serves. */
  public Controller controller() {
    return controller;
  }

  /**
   * Registers {@code hook} to run first when this server shuts down (however that is reached,
   * including through the controller's shutdown), on the shutting-down thread: for components that
   * use this server's in-process channel or event loops, such as {@link io.mcp.grpc.gateway.HttpGateway},
   * which registers itself. A hook that throws is logged. Thread-safe.
   */
  public void addShutdownHook(Runnable hook) {
    beforeShutdown.add(java.util.Objects.requireNonNull(hook, "hook"));
  }

  /** Removes a hook added with {@link #addShutdownHook} (the same instance); unknown ones are ignored. */
  public void removeShutdownHook(Runnable hook) {
    beforeShutdown.remove(hook);
  }

  /**
   * Reports NOT_SERVING, stops taking calls, and waits up to {@code grace} for running ones, then
   * for its own event loops to terminate. Agents connected over gRPC get CLOSE(GOING_AWAY) from
   * their sessions, as TCP agents do when the controller shuts down; a session still open after
   * {@code grace} is closed, then the remaining calls are cancelled. Shutting the controller down
   * runs this first (with the controller's grace) if it has not run yet. Idempotent.
   */
  public void shutdown(Duration grace) {
    if (!shutDown.compareAndSet(false, true)) {
      return;
    }
    controller.server().removeShutdownHook(shutdownHook);
    for (Runnable hook : beforeShutdown) {
      try {
        hook.run();
      } catch (RuntimeException e) {
        log.warn("gRPC server shutdown hook {} failed", hook, e);
      }
    }
    long deadlineNanos = System.nanoTime() + Math.max(0, grace.toNanos());
    health.enterTerminalState();
    inProcessChannel.shutdownNow();
    inProcessServer.shutdownNow();
    server.shutdown();
    closeRelays(deadlineNanos);
    try {
      if (!server.awaitTermination(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    timer.shutdownNow();
    io.netty.util.concurrent.Future<?> local = localGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    if (ownGroup != null) {
      ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS)
          .awaitUninterruptibly(LOOP_TERMINATION_WAIT_SECONDS, TimeUnit.SECONDS);
    }
    local.awaitUninterruptibly(LOOP_TERMINATION_WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * Ends the session behind every Connect call with GOING_AWAY and waits, up to the deadline, for
   * them; then closes what is left, from the session's side first. Returns once both ends of every
   * relay are closed (or {@link #RELAY_CLOSE_WAIT_NANOS} passed): a {@code LocalChannel} that closes
   * hands its peer's event loop a last task, so {@link #localGroup} must not terminate before.
   */
  private void closeRelays(long deadlineNanos) {
    List<Channel> relays = service.relayChannels();
    if (relays.isEmpty()) {
      return;
    }
    List<Channel> sessionChannels = new ArrayList<>();
    for (NettySession session : relayedSessions(relays)) {
      session.close(CloseCode.GOING_AWAY, "gRPC server shutting down");
      sessionChannels.add(session.channel());
    }
    if (!awaitClosed(sessionChannels, deadlineNanos)) {
      sessionChannels.forEach(Channel::close); // the relays follow, with the controller's loops alive
    }
    long boundNanos = System.nanoTime() + RELAY_CLOSE_WAIT_NANOS;
    awaitClosed(sessionChannels, boundNanos);
    relays.forEach(Channel::close); // relays whose session had not been accepted yet
    awaitClosed(relays, boundNanos);
    List<Channel> late = new ArrayList<>();
    relayedSessions(relays).forEach(session -> late.add(session.channel()));
    awaitClosed(late, boundNanos);
  }

  /** The open sessions of the controller's server that the {@code relays} lead to. */
  private List<NettySession> relayedSessions(List<Channel> relays) {
    Set<SocketAddress> relayAddresses = new HashSet<>();
    relays.forEach(relay -> relayAddresses.add(relay.localAddress()));
    List<NettySession> relayed = new ArrayList<>();
    for (Session session : controller.server().sessions()) {
      if (session instanceof NettySession netty && relayAddresses.contains(netty.channel().remoteAddress())) {
        relayed.add(netty);
      }
    }
    return relayed;
  }

  /** Whether all {@code channels} closed before the deadline; false also when interrupted. */
  private static boolean awaitClosed(List<Channel> channels, long deadlineNanos) {
    try {
      for (Channel ch : channels) {
        long leftNanos = Math.max(0, deadlineNanos - System.nanoTime());
        if (!ch.closeFuture().await(leftNanos, TimeUnit.NANOSECONDS)) {
          return false;
        }
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(10));
  }
}
