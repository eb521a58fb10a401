package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.codec.CloseCode;
import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.McpServer;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.ServerOptions;
import io.mcp.core.Session;
import io.mcp.core.SessionClose;
import io.mcp.core.SessionListener;
import io.mcp.core.internal.Transports;
import io.mcp.core.spi.Authenticator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * Shutting down a controller with agents connected over gRPC: each agent is told GOING_AWAY, and
 * the in-VM channel pairs that relay the sessions close before the event loops they use terminate
 * (Netty's LocalChannel warns "Releasing Inbound Queues ... RejectedExecutionException" otherwise;
 * it logs through slf4j, which this module's surefire routes to {@link CapturingLogProvider}),
 * in either shutdown order. The last test covers mcp-core's {@code McpServer} alone, here for the
 * log capture.
 */
class GrpcShutdownTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final int AGENTS = 24;
  static final Authenticator AUTH = request -> Identity.of(request.nodeId(), Set.of("agent"), Set.of());

  Controller controller;
  GrpcControlPlaneServer grpc;
  final List<Agent> agents = new ArrayList<>();
  final List<SessionClose> closes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws InterruptedException {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1").build()).start();
    GrpcAgentTransport transport = GrpcAgentTransport.create(null);
    SessionListener recorder = new SessionListener() {
      @Override
      public void onClosed(Session session, SessionClose close) {
        closes.add(close);
      }
    };
    for (int i = 0; i < AGENTS; i++) {
      agents.add(Agent.create(AgentOptions.builder("grpc-node-" + i).services("payments").token("t")
          // No reconnect while the test looks: the first close is the one the shutdown caused.
          .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofSeconds(30)).build())
          .client(c -> c.addListener(recorder))
          .configListener((s, v, c) -> { })
          .transport(transport).endpoint(new InetSocketAddress("127.0.0.1", grpc.port()))
          .build()).start());
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(n -> n.connected()).count() < AGENTS && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(controller.nodes().stream().filter(n -> n.connected()).count()).isEqualTo(AGENTS);
    CapturingLogProvider.clear();
  }

  @AfterEach
  void stop() {
    agents.forEach(Agent::close);
    grpc.shutdown(Duration.ZERO);
    controller.shutdown(Duration.ZERO).join();
  }

  @Test
  void grpcServerThenController_agentsToldGoingAway_noRelayWarnings() throws Exception {
    grpc.shutdown(Duration.ofSeconds(2));
    controller.shutdown(Duration.ofSeconds(2)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    awaitCloses();
    assertNoWarnings();
    assertThat(closes).hasSize(AGENTS)
        .allMatch(c -> c.equals(SessionClose.remote(CloseCode.GOING_AWAY, "gRPC server shutting down")), "GOING_AWAY");
  }

  @Test
  void controllerThenGrpcServer_agentsToldGoingAway_noRelayWarnings() throws Exception {
    controller.shutdown(Duration.ofSeconds(2)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    grpc.shutdown(Duration.ofSeconds(2));

    awaitCloses();
    assertNoWarnings();
    assertThat(closes).hasSize(AGENTS)
        .allMatch(c -> c.equals(SessionClose.remote(CloseCode.GOING_AWAY, "gRPC server shutting down")), "GOING_AWAY");
  }

  @Test
  void mcpServerShutdown_keepsItsLocalLoopsUntilARelayClosed() throws Exception {
    McpServer server = McpServer.create(ServerOptions.builder().host("127.0.0.1").authenticator(AUTH).build()).start();
    EventLoopGroup relayGroup = Transports.newLocalGroup(1, "test-relay");
    try {
      server.connectRelay(relayGroup, new ChannelInboundHandlerAdapter(), null).sync();
      awaitUntil(() -> server.sessions().size() == 1);
      CountDownLatch release = new CountDownLatch(1);
      relayGroup.execute(() -> {
        try {
          release.await(); // the relay cannot follow its session's close until released
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      CompletableFuture<Void> stopped = server.shutdown(Duration.ZERO);
      awaitUntil(() -> server.sessions().isEmpty());
      release.countDown();
      stopped.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      relayGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    assertNoWarnings();
  }

  static void awaitUntil(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }

  void awaitCloses() throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (closes.size() < AGENTS && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  /** Neither Netty nor this library warned while shutting down (a terminated loop, a leaked relay). */
  static void assertNoWarnings() {
    assertThat(CapturingLogProvider.lines())
        .filteredOn(line -> line.level().toInt() >= Level.WARN.toInt())
        .filteredOn(line -> line.logger().startsWith("io.netty") || line.logger().startsWith("io.mcp"))
        .isEmpty();
  }
}
