package io.mcp.grpc.gateway;

import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ReconnectPolicy;
import io.mcp.core.ServerOptions;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.Authenticator;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.GrpcAgentTransport;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/** A controller, its gRPC server and an HTTP gateway on loopback, plus agents; closes them all. */
final class GatewayFixture implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final Authenticator AUTH = request -> switch (request.token()) {
    case "admin-token" -> Identity.of("ops", Set.of("admin"), Set.of());
    case "agent-token" -> Identity.of(request.nodeId().isEmpty() ? "agent" : request.nodeId(), Set.of("agent"), Set.of());
    default -> throw new AuthenticationException("invalid token");
  };

  final Controller controller;
  final GrpcControlPlaneServer grpc;
  final HttpGateway gateway;
  final List<AutoCloseable> closeables = new ArrayList<>();

  GatewayFixture(UnaryOperator<HttpGatewayOptions.Builder> gatewayOptions) {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1")
        .deadlines(Duration.ofSeconds(5), Duration.ofSeconds(10)).build()).start();
    gateway = HttpGateway.create(grpc, gatewayOptions.apply(HttpGatewayOptions.builder().host("127.0.0.1")).build())
        .start();
  }

  String base() {
    return "http://127.0.0.1:" + gateway.port();
  }

  ControlPlaneClient client(String token) {
    ControlPlaneClient client = ControlPlaneClient.create("127.0.0.1", grpc.port(), token, null, WAIT);
    closeables.add(client);
    return client;
  }

  Agent agent(String nodeId, String service, boolean overGrpc) {
    AgentOptions.Builder options = AgentOptions.builder(nodeId).services(service).token("agent-token")
        .reconnectPolicy(ReconnectPolicy.builder().initialBackoff(Duration.ofMillis(20)).build())
        .configListener((s, v, c) -> { });
    if (overGrpc) {
      options.transport(GrpcAgentTransport.create(null)).endpoint(new InetSocketAddress("127.0.0.1", grpc.port()));
    } else {
      options.endpoint(new InetSocketAddress("127.0.0.1", controller.port()));
    }
    Agent agent = Agent.create(options.build()).start();
    closeables.add(agent);
    return agent;
  }

  void awaitConnected(int count) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (controller.nodes().stream().filter(n -> n.connected()).count() < count && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    if (controller.nodes().stream().filter(n -> n.connected()).count() < count) {
      throw new AssertionError("fewer than " + count + " agents connected within " + WAIT);
    }
  }

  @Override
  public void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    gateway.close();
    grpc.shutdown(Duration.ofSeconds(2));
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }
}
