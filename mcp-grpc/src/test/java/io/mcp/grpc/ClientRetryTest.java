package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mcp.grpc.proto.ConfigRequest;
import io.mcp.grpc.proto.ConfigResponse;
import io.mcp.grpc.proto.ControlPlaneGrpc;
import io.mcp.grpc.proto.ListNodesRequest;
import io.mcp.grpc.proto.ListNodesResponse;
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
}
