package io.mcp.benchmarks.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.Identity;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.Authenticators;
import io.mcp.grpc.ControlPlaneClient;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Our stack: {@code ApplyConfiguration} through {@link ControlPlaneClient} (bearer token, 30 s
 * deadline, its retrying channel) to a {@link GrpcControlPlaneServer} (default options, on the
 * controller's event loops) over a {@link Controller} with an {@link InMemoryConfigStore} and no
 * agents, so an apply is an in-memory append plus a rollout with no targets. The token's identity
 * has the admin role. Without request ids by default; with them, every call carries a fresh UUID
 * and goes through the idempotency cache. Thread-safe.
 */
final class McpApplyTarget implements UnaryTarget {
  static final String TOKEN = "grpc-benchmark-token";
  static final String SERVICE = "bench";

  private final Controller controller;
  private final GrpcControlPlaneServer grpc;
  private final ControlPlaneClient client;
  private final ConfigRequest request;
  private final boolean requestIds;

  private McpApplyTarget(byte[] config, boolean requestIds) {
    this.requestIds = requestIds;
    ServerOptions server = ServerOptions.builder().host("127.0.0.1").port(0)
        .authenticator(Authenticators.staticToken(TOKEN)).build();
    controller = Controller.create(ControllerOptions.builder(server, new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1")
        .authenticator(Authenticators.staticToken(TOKEN, Identity.of("benchmark-admin", Set.of("admin"), Set.of())))
        .build()).start();
    client = ControlPlaneClient.create("127.0.0.1", grpc.port(), TOKEN, null, Duration.ofSeconds(30));
    request = request(config);
  }

  /** The request every call sends (without a request id). */
  static ConfigRequest request(byte[] config) {
    return ConfigRequest.newBuilder().setServiceName(SERVICE).setConfigData(ByteString.copyFrom(config)).build();
  }

  static McpApplyTarget start(byte[] config, boolean requestIds) {
    return new McpApplyTarget(config, requestIds);
  }

  @Override
  public String label() {
    return requestIds ? "MCP ApplyConfiguration (request ids)" : "MCP ApplyConfiguration";
  }

  private ConfigRequest next() {
    return requestIds ? request.toBuilder().setRequestId(UUID.randomUUID().toString()).build() : request;
  }

  @Override
  public void startAsync(Consumer<Throwable> done) {
    client.async().applyConfiguration(next(), new StreamObserver<ConfigResponse>() {
      @Override
      public void onNext(ConfigResponse value) {}

      @Override
      public void onError(Throwable t) {
        done.accept(t);
      }

      @Override
      public void onCompleted() {
        done.accept(null);
      }
    });
  }

  @Override
  public void callBlocking() {
    client.blocking().applyConfiguration(next());
  }

  /** The newest version the controller stored. */
  long latestVersion() {
    return controller.config(SERVICE).map(v -> v.version()).orElse(0L);
  }

  @Override
  public void close() {
    client.close();
    grpc.shutdown(Duration.ofSeconds(2));
    controller.close();
  }
}
