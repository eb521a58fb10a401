package io.mcp.examples;

import io.mcp.config.GrpcConfig;
import io.mcp.config.HttpConfig;
import io.mcp.config.McpServerConfig;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.TlsOptions;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.ConfigStore;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import io.mcp.grpc.gateway.HttpGateway;
import io.mcp.grpc.gateway.HttpGatewayOptions;
import java.io.PrintStream;
import java.time.Duration;

/**
 * A controller as a standalone process serves it, from one {@link McpServerConfig}: the store, the
 * MCP/1 TCP server, the gRPC server on the same event loops, and (once merged) the HTTP gateway.
 * Prints one {@code listening <kind> host:port} line per listener once it is bound.
 */
final class ControllerServer implements AutoCloseable {
  private final ConfigStore store;
  private final Controller controller;
  private final GrpcControlPlaneServer grpc;
  private final AutoCloseable http;

  private ControllerServer(ConfigStore store, Controller controller, GrpcControlPlaneServer grpc, AutoCloseable http) {
    this.store = store;
    this.controller = controller;
    this.grpc = grpc;
    this.http = http;
  }

  /** Opens the store and starts every enabled listener; on failure, closes what was started. */
  static ControllerServer start(McpServerConfig config, String serverId, PrintStream out) {
    Authenticator authenticator = config.auth().authenticator();
    TlsOptions tls = config.tls().toTlsOptions();
    ConfigStore store = config.store().open();
    Controller controller = null;
    GrpcControlPlaneServer grpc = null;
    try {
      var serverOptions = config.server().toServerOptions(authenticator, tls);
      if (serverId != null) {
        serverOptions.serverId(serverId);
      }
      controller = Controller.create(ControllerOptions.builder(serverOptions.build(), store).build()).start();
      out.println("listening mcp " + config.server().host() + ":" + controller.port());
      if (config.grpc().enabled()) {
        grpc = GrpcControlPlaneServer.create(controller, grpcOptions(config.grpc(), tls)).start();
        out.println("listening grpc " + config.grpc().host() + ":" + grpc.port());
      }
      AutoCloseable http = config.http().enabled() ? startHttpGateway(config.http(), tls, controller, grpc, out) : null;
      out.flush();
      return new ControllerServer(store, controller, grpc, http);
    } catch (RuntimeException e) {
      if (grpc != null) {
        grpc.shutdown(Duration.ZERO);
      }
      if (controller != null) {
        controller.shutdown(Duration.ZERO).join();
      }
      closeQuietly(store);
      throw e;
    }
  }

  /**
   * Starts the HTTP/JSON gateway and web console from {@code http} (host, port, max-body-bytes,
   * max-header-bytes, request-timeout) and {@code tls}, in front of {@code grpc} (the gateway
   * dispatches into the gRPC service in-process, through the same authentication, validation and
   * deadlines, on the same event loops), prints {@code listening http host:port} once bound, and
   * returns what to close on shutdown.
   *
   * @throws IllegalStateException if the gRPC server is disabled: the gateway is its front door
   */
  static AutoCloseable startHttpGateway(HttpConfig http, TlsOptions tls, Controller controller,
      GrpcControlPlaneServer grpc, PrintStream out) {
    if (grpc == null) {
      throw new IllegalStateException("http.enabled needs grpc.enabled: the HTTP gateway serves the gRPC service");
    }
    HttpGateway gateway = HttpGateway.create(grpc, HttpGatewayOptions.builder()
        .host(http.host())
        .port(http.port())
        .tls(tls)
        .maxBodyBytes(http.maxBodyBytes())
        .maxHeaderBytes(http.maxHeaderBytes())
        .requestTimeout(http.requestTimeout())
        .build()).start();
    out.println("listening http " + http.host() + ":" + gateway.port());
    return gateway;
  }

  static GrpcServerOptions grpcOptions(GrpcConfig grpc, TlsOptions tls) {
    return GrpcServerOptions.builder()
        .host(grpc.host())
        .port(grpc.port())
        .tls(tls)
        .deadlines(grpc.defaultDeadline(), grpc.maxDeadline())
        .permitKeepAliveTime(grpc.permitKeepAliveTime())
        .maxConnectionAge(grpc.maxConnectionIdle(), grpc.maxConnectionAge(), grpc.maxConnectionAgeGrace())
        .maxInboundMessageBytes(grpc.maxInboundMessageBytes())
        .maxConcurrentCallsPerConnection(grpc.maxConcurrentCallsPerConnection())
        .handshakeTimeout(grpc.handshakeTimeout())
        .build();
  }

  Controller controller() {
    return controller;
  }

  int mcpPort() {
    return controller.port();
  }

  /** The HTTP gateway's port, or -1 when it is disabled. */
  int httpPort() {
    return http instanceof HttpGateway ? ((HttpGateway) http).port() : -1;
  }

  /** The gRPC port, or -1 when gRPC is disabled. */
  int grpcPort() {
    return grpc == null ? -1 : grpc.port();
  }

  /** Stops taking calls, sends GOING_AWAY to every session, then closes the store. */
  void shutdown(Duration grace) {
    closeQuietly(http);
    if (grpc != null) {
      grpc.shutdown(grace);
    }
    controller.shutdown(grace).join();
    closeQuietly(store);
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(5));
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(ControllerServer.class).warn("closing {} failed", closeable, e);
    }
  }
}
