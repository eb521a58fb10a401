package io.mcp.examples.embed;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.core.ServerOptions;
import io.mcp.core.spi.Authenticator;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import io.mcp.store.sqlite.SqliteConfigStore;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A controller inside an application: a durable SQLite store, the MCP/1 TCP server, and the gRPC
 * API on the same event loops. {@link #close()} stops both servers (agents get GOING_AWAY) and
 * closes the store.
 */
public final class EmbeddedController implements AutoCloseable {
  private final SqliteConfigStore store;
  private final Controller controller;
  private final GrpcControlPlaneServer grpc;

  private EmbeddedController(SqliteConfigStore store, Controller controller, GrpcControlPlaneServer grpc) {
    this.store = store;
    this.controller = controller;
    this.grpc = grpc;
  }

  /**
   * Starts a controller on {@code host}, ports chosen by the system, keeping its versions in
   * {@code dataDir/controller.db}.
   */
  public static EmbeddedController start(String host, Path dataDir, Authenticator authenticator) {
    SqliteConfigStore store = SqliteConfigStore.open(dataDir.resolve("controller.db"));
    Controller controller = Controller.create(ControllerOptions.builder(
            ServerOptions.builder().host(host).port(0).authenticator(authenticator).build(), store)
        .build())
        .start();
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller,
        GrpcServerOptions.builder().host(host).port(0).build()).start();
    return new EmbeddedController(store, controller, grpc);
  }

  /** Publishes {@code config} for {@code service} and waits until every connected node answered. */
  public RolloutResult publish(String service, byte[] config, Duration timeout) {
    long version = controller.apply(service, config); // durable before it returns
    return controller.awaitRollout(service, version, RolloutCondition.all(), timeout);
  }

  /** The controller, for everything else (rollback, nodes, subscribe). */
  public Controller controller() {
    return controller;
  }

  /** The MCP/1 TCP port. */
  public int mcpPort() {
    return controller.port();
  }

  /** The gRPC port (ControlPlane API and agents over gRPC). */
  public int grpcPort() {
    return grpc.port();
  }

  @Override
  public void close() {
    grpc.shutdown(Duration.ofSeconds(5));
    controller.shutdown(Duration.ofSeconds(5)).join();
    store.close();
  }
}
