package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.Configuration;
import io.mcp.grpc.proto.GetConfigurationRequest;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.mcp.grpc.proto.ListNodesRequest;
import io.mcp.grpc.proto.ListNodesResponse;
import io.mcp.grpc.proto.RollbackRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client's default service config: UNAVAILABLE is retried, caller errors are not. */
class ClientRetryTest {
  final AtomicInteger listAttempts = new AtomicInteger();
  final AtomicInteger applyAttempts = new AtomicInteger();
  final AtomicInteger rollbackAttempts = new AtomicInteger();
  final AtomicInteger getAttempts = new AtomicInteger();
  Server server;

  @BeforeEach
  void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new ControlPlaneGrpc.ControlPlaneImplBase() {
          @Override
          public void listNodes(ListNodesRequest request, StreamObserver<ListNodesResponse> response) {
            if (listAttempts.incrementAndGet() < 3) {
              response.onError(Status.UNAVAILABLE.withDescription("replica restarting").asRuntimeException());
              return;
            }
            response.onNext(ListNodesResponse.getDefaultInstance());
            response.onCompleted();
          }

          @Override
          public void applyConfiguration(ConfigRequest request, StreamObserver<ConfigResponse> response) {
            applyAttempts.incrementAndGet();
            response.onError(Status.INVALID_ARGUMENT.withDescription("service_name is empty").asRuntimeException());
          }

          @Override
          public void rollback(RollbackRequest request, StreamObserver<ConfigResponse> response) {
            rollbackAttempts.incrementAndGet();
            response.onError(Status.PERMISSION_DENIED.withDescription("identity agent lacks role admin for Rollback")
                .asRuntimeException());
          }

          @Override
          public void getConfiguration(GetConfigurationRequest request, StreamObserver<Configuration> response) {
            getAttempts.incrementAndGet();
            response.onError(Status.UNAVAILABLE.withDescription("replica down").asRuntimeException());
          }
        }).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  ControlPlaneClient client() {
    return ControlPlaneClient.create("127.0.0.1", server.getPort(), "t", null, Duration.ofSeconds(10));
  }

  @Test
  void unavailable_retriedWithBackoffUntilItSucceeds() {
    try (ControlPlaneClient client = client()) {
      client.blocking().listNodes(ListNodesRequest.getDefaultInstance());
    }

    assertThat(listAttempts.get()).isEqualTo(3);
  }

  @Test
  void invalidArgument_notRetried() {
    try (ControlPlaneClient client = client()) {
      assertThatThrownBy(() -> client.blocking().applyConfiguration(ConfigRequest.getDefaultInstance()))
          .hasMessage("INVALID_ARGUMENT: service_name is empty");
    }

    assertThat(applyAttempts.get()).isEqualTo(1);
  }

  @Test
  void permissionDenied_notRetried() {
    try (ControlPlaneClient client = client()) {
      assertThatThrownBy(() -> client.blocking().rollback(RollbackRequest.getDefaultInstance()))
          .hasMessage("PERMISSION_DENIED: identity agent lacks role admin for Rollback");
    }

    assertThat(rollbackAttempts.get()).isEqualTo(1);
  }

  @Test
  void unavailableOverAndOver_retryThrottlingStopsTheRetries() {
    // retryThrottling {maxTokens 10, tokenRatio 0.1}: every UNAVAILABLE attempt takes a token, and
    // retries stop once 5 or fewer are left. The first call spends 4 (all its attempts), the
    // second's only attempt takes the fifth: it is not retried.
    try (ControlPlaneClient client = client()) {
      for (int call = 1; call <= 2; call++) {
        assertThatThrownBy(() -> client.blocking().getConfiguration(GetConfigurationRequest.getDefaultInstance()))
            .hasMessage("UNAVAILABLE: replica down");
        assertThat(getAttempts.get()).as("attempts after call " + call).isEqualTo(call == 1 ? 4 : 5);
      }
    }
  }
}
