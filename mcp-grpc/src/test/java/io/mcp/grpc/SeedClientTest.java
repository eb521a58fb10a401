package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.grpc.seed.ConfigRequest;
import io.mcp.grpc.seed.ConfigResponse;
import io.mcp.grpc.seed.ControlPlaneGrpc;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A client generated from the seed's own two-field ConfigRequest still applies configuration. */
class SeedClientTest {
  @Test
  void seedGeneratedClient_callsApplyConfiguration() throws Exception {
    Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GrpcControlPlaneTest.AUTH).build(), new InMemoryConfigStore()).build()).start();
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller,
        GrpcServerOptions.builder().host("127.0.0.1").build()).start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    try {
      ConfigResponse response = ControlPlaneGrpc.newBlockingStub(channel)
          .withCallCredentials(new ControlPlaneClient.BearerToken("admin-token"))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .applyConfiguration(ConfigRequest.newBuilder().setServiceName("legacy")
              .setConfigData(ByteString.copyFromUtf8("from the seed client")).build());

      assertThat(response.getVersion()).isEqualTo(1);
      assertThat(controller.config("legacy").orElseThrow().dataBytes())
          .isEqualTo("from the seed client".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      grpc.shutdown(Duration.ofSeconds(2));
      controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    }
  }
}
