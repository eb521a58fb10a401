package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.NodeRecord;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Every call gets a deadline: the server's default when the client sets none, capped at its maximum. */
class ServerDeadlineTest {
  /** A store whose appends hang until released. */
  static final class StuckStore implements ConfigStore {
    final InMemoryConfigStore delegate = new InMemoryConfigStore();
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public ConfigVersion append(String service, byte[] data) {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return delegate.append(service, data);
    }

    @Override public Optional<ConfigVersion> latest(String service) { return delegate.latest(service); }
    @Override public Optional<ConfigVersion> get(String service, long version) { return delegate.get(service, version); }
    @Override public List<ConfigVersion> history(String service, int limit) { return delegate.history(service, limit); }
    @Override public List<String> services() { return delegate.services(); }
    @Override public void recordApplied(String nodeId, String service, long version) { delegate.recordApplied(nodeId, service, version); }
    @Override public void recordRejected(String nodeId, String service, long version, String reason) {
      delegate.recordRejected(nodeId, service, version, reason);
    }
    @Override public NodeRecord nodeRecord(String nodeId, String service) { return delegate.nodeRecord(nodeId, service); }
    @Override public AutoCloseable watch(Consumer<ConfigVersion> listener) { return delegate.watch(listener); }
    @Override public void close() { release.countDown(); }
  }

  @Test
  void callWithoutADeadline_getsTheServerDefault_andMaxCapsLongerOnes() throws Exception {
    StuckStore store = new StuckStore();
    Controller controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GrpcControlPlaneTest.AUTH).build(), store).build()).start();
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").deadlines(Duration.ofMillis(300), Duration.ofMillis(600)).build()).start();
    try (ControlPlaneClient client = ControlPlaneClient.create("127.0.0.1", grpc.port(), "admin-token", null,
        Duration.ofHours(1))) {
      // No client deadline at all: the server's 300 ms default ends the call.
      io.grpc.ManagedChannel channel = client.channel();
      assertThatThrownBy(() -> io.mcp.grpc.proto.ControlPlaneGrpc.newBlockingStub(channel)
          .withCallCredentials(new ControlPlaneClient.BearerToken("admin-token"))
          .applyConfiguration(GrpcControlPlaneTest.apply("payments", "x").build()))
          .isInstanceOf(StatusRuntimeException.class)
          .hasMessage("DEADLINE_EXCEEDED: server deadline of 300 ms passed");
      // A client deadline of an hour: capped at the server's 600 ms maximum.
      assertThatThrownBy(() -> client.blocking().applyConfiguration(GrpcControlPlaneTest.apply("payments", "y").build()))
          .extracting(e -> ((StatusRuntimeException) e).getStatus().getCode())
          .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    } finally {
      store.release.countDown();
      grpc.shutdown(Duration.ofSeconds(2));
      controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    }
    assertThat(store.release.getCount()).isZero();
  }
}
