package io.mcp.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.ClientOptions;
import io.mcp.core.ConfigListener;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.NodeView;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.ServerOptions;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionListener;
import io.mcp.core.SessionState;
import io.mcp.core.Session;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.ConfigStore;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A controller and any number of agents on loopback, for the reliability scenarios. Agents share
 * one event loop group and one handler pool (as a process hosting many agents would), and every
 * configuration is self-checking: {@link #config} builds a body whose last 32 bytes are the
 * SHA-256 of the rest, and {@link Recorder} verifies it before accepting, so a partial or mixed
 * update can never pass unnoticed.
 *
 * <p>Timing defaults are short but realistic: heartbeat 1 s, idle timeout 3 s (3 × heartbeat),
 * handshake timeout 5 s.
 */
final class Fleet implements AutoCloseable {
  static final Duration HEARTBEAT = Duration.ofSeconds(1);
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
  static final String TOKEN = "agent-token";

  final ConfigStore store;
  final EventLoopGroup agentGroup;
  final ExecutorService agentHandlers;
  final AtomicLong authentications = new AtomicLong();
  /** Every controller-side session close, in order. */
  final Queue<SessionClose> serverCloses = new ConcurrentLinkedQueue<>();
  /** When each controller-side session started closing (System.nanoTime), in order. */
  final Queue<Long> serverClosingNanos = new ConcurrentLinkedQueue<>();
  final List<Agent> agents = new CopyOnWriteArrayList<>();
  private final UnaryOperator<ServerOptions.Builder> serverCustomizer;
  private final List<SessionListener> serverListeners = new CopyOnWriteArrayList<>();
  Controller controller;
  private int port;

  Fleet(ConfigStore store, int agentThreads, UnaryOperator<ServerOptions.Builder> serverCustomizer) {
    this.store = store;
    this.serverCustomizer = serverCustomizer;
    this.agentGroup = new MultiThreadIoEventLoopGroup(agentThreads, new DefaultThreadFactory("it-agent", true),
        NioIoHandler.newFactory());
    this.agentHandlers = Executors.newFixedThreadPool(4, new DefaultThreadFactory("it-agent-handler", true));
  }

  /** Counts every authentication: a reconnect storm shows as more calls than connections. */
  final Authenticator authenticator() {
    return request -> {
      authentications.incrementAndGet();
      if (!TOKEN.equals(request.token())) {
        throw new AuthenticationException("invalid token");
      }
      return Identity.of(request.nodeId(), Set.of("agent"), Set.of());
    };
  }

  void addServerListener(SessionListener listener) {
    serverListeners.add(listener);
  }

  /** Starts (or restarts) the controller, on the same port as before once it has one. */
  Controller startController() {
    ServerOptions.Builder server = ServerOptions.builder().host("127.0.0.1").port(port)
        .authenticator(authenticator())
        .heartbeatInterval(HEARTBEAT)
        .handshakeTimeout(HANDSHAKE_TIMEOUT)
        .addListener(new SessionListener() {
          @Override
          public void onReady(Session session) {
            serverListeners.forEach(l -> l.onReady(session));
          }

          @Override
          public void onStateChanged(Session session, SessionState from, SessionState to) {
            if (to.isTerminating() && !from.isTerminating()) {
              serverClosingNanos.add(System.nanoTime());
            }
          }

          @Override
          public void onClosed(Session session, SessionClose close) {
            serverCloses.add(close);
            serverListeners.forEach(l -> l.onClosed(session, close));
          }
        });
    controller = Controller.create(ControllerOptions.builder(serverCustomizer.apply(server).build(), store).build())
        .start();
    port = controller.port();
    return controller;
  }

  void stopController() throws Exception {
    controller.shutdown(Duration.ofSeconds(2)).get(30, TimeUnit.SECONDS);
  }

  InetSocketAddress controllerAddress() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  static ReconnectPolicy fastReconnect() {
    return ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(1)).build();
  }

  /** Starts an agent serving {@code service} that connects to {@code endpoints} in turn. */
  Agent agent(String nodeId, String service, ConfigListener listener, ReconnectPolicy policy,
      InetSocketAddress... endpoints) {
    return agent(nodeId, service, listener, policy, c -> c, endpoints);
  }

  /** {@link #agent(String, String, ConfigListener, ReconnectPolicy, InetSocketAddress...)} with more client options. */
  Agent agent(String nodeId, String service, ConfigListener listener, ReconnectPolicy policy,
      UnaryOperator<ClientOptions.Builder> client, InetSocketAddress... endpoints) {
    Agent agent = Agent.create(AgentOptions.builder(nodeId).services(service).token(TOKEN)
        .endpoints(Arrays.asList(endpoints))
        .configListener(listener)
        .reconnectPolicy(policy)
        .client(c -> client.apply(c.eventLoopGroup(agentGroup).handlerExecutor(agentHandlers)
            .handshakeTimeout(HANDSHAKE_TIMEOUT)))
        .build()).start();
    agents.add(agent);
    return agent;
  }

  long connectedNodes() {
    return controller.nodes().stream().filter(NodeView::connected).count();
  }

  @Override
  public void close() throws Exception {
    for (Agent agent : agents) {
      agent.close();
    }
    if (controller != null) {
      stopController();
    }
    agentGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    agentHandlers.shutdownNow();
    agentHandlers.awaitTermination(10, TimeUnit.SECONDS);
  }

  // ----------------------------------------------------------------------------- configurations

  /** A self-checking configuration of {@code size} bytes for {@code version}: text head, random body, SHA-256. */
  static byte[] config(long version, int size) {
    byte[] head = ("version=" + version + ";").getBytes(StandardCharsets.US_ASCII);
    int bodySize = Math.max(0, size - head.length - 32);
    byte[] out = new byte[head.length + bodySize + 32];
    System.arraycopy(head, 0, out, 0, head.length);
    byte[] body = new byte[bodySize];
    new Random(version).nextBytes(body);
    System.arraycopy(body, 0, out, head.length, bodySize);
    System.arraycopy(sha256(out, head.length + bodySize), 0, out, head.length + bodySize, 32);
    return out;
  }

  static byte[] sha256(byte[] data, int length) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(data, 0, length);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Checks a configuration made by {@link #config}: complete, unaltered, for this version. */
  static String verify(long version, ByteBuffer config) {
    byte[] data = new byte[config.remaining()];
    config.get(data);
    if (data.length < 32) {
      return "config of " + data.length + " bytes is shorter than its checksum";
    }
    byte[] expected = sha256(data, data.length - 32);
    if (!Arrays.equals(expected, Arrays.copyOfRange(data, data.length - 32, data.length))) {
      return "checksum mismatch in a config of " + data.length + " bytes";
    }
    String head = new String(data, 0, Math.min(data.length, 32), StandardCharsets.US_ASCII);
    if (!head.startsWith("version=" + version + ";")) {
      return "config for version " + version + " starts with " + head;
    }
    return null;
  }

  /** A listener that checks every configuration and records what it applied and every violation. */
  static final class Recorder implements ConfigListener {
    final List<Long> applied = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();

    @Override
    public void apply(String service, long version, ByteBuffer config) {
      String problem = verify(version, config);
      if (problem != null) {
        violations.add(service + "@" + version + ": " + problem);
        throw new IllegalArgumentException(problem);
      }
      if (!applied.isEmpty() && applied.get(applied.size() - 1) >= version) {
        violations.add(service + "@" + version + " applied after " + applied.get(applied.size() - 1));
      }
      applied.add(version);
    }

    long last() {
      return applied.isEmpty() ? 0 : applied.get(applied.size() - 1);
    }
  }

  /** Polls {@code condition} every 10 ms until it holds or {@code timeout} passes; returns whether it held. */
  static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  /** Awaits {@code condition} or fails naming {@code what}. */
  static void awaitOrFail(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
    assertThat(await(condition, timeout)).as(what + " within " + timeout.toMillis() + " ms").isTrue();
  }
}
