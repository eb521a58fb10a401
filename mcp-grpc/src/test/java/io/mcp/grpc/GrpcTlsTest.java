package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mcp.core.Agent;
import io.mcp.core.AgentOptions;
import io.mcp.core.Controller;
import io.mcp.core.NodeView;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.core.TestCertificates;
import io.mcp.core.TlsOptions;
import io.mcp.grpc.proto.ListNodesRequest;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on the gRPC port: the right CA works; wrong CA, expired certificate and plaintext fail. */
class GrpcTlsTest {
  @TempDir
  Path dir;

  TestCertificates certificates;
  Controller controller;

  @BeforeEach
  void start() {
    certificates = TestCertificates.create(dir);
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GrpcControlPlaneTest.AUTH).build(), new InMemoryConfigStore()).build()).start();
  }

  @AfterEach
  void stop() throws Exception {
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  GrpcControlPlaneServer grpc(TestCertificates.KeyPairFiles serverCertificate) {
    return GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1")
        .tls(certificates.serverTls(serverCertificate, TlsOptions.ClientAuthMode.NONE)).build()).start();
  }

  static Status.Code call(GrpcControlPlaneServer grpc, TlsOptions clientTls) {
    try (ControlPlaneClient client = ControlPlaneClient.create("localhost", grpc.port(), "admin-token", clientTls,
        Duration.ofSeconds(10))) {
      client.blocking().listNodes(ListNodesRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void trustedServerCertificate_callsSucceed() {
    GrpcControlPlaneServer grpc = grpc(certificates.server());
    try {
      assertThat(call(grpc, certificates.clientTls())).isEqualTo(Status.Code.OK);
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void serverCertificateFromAnotherCa_unavailable() {
    GrpcControlPlaneServer grpc = grpc(certificates.serverFromOtherCa());
    try {
      assertThat(call(grpc, certificates.clientTls())).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(controller.history("any", 1)).isEmpty();
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void expiredServerCertificate_unavailable() {
    GrpcControlPlaneServer grpc = grpc(certificates.expiredServer());
    try {
      assertThat(call(grpc, certificates.clientTls())).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void plaintextClientToTheTlsPort_unavailable_andTheServerKeepsServing() {
    GrpcControlPlaneServer grpc = grpc(certificates.server());
    try {
      assertThat(call(grpc, null)).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(call(grpc, certificates.clientTls())).isEqualTo(Status.Code.OK);
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void mutualTls_identityFromTheClientCertificate_onlyTheAdminOuMayApply() {
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1")
        .authenticator(io.mcp.core.auth.MtlsAuthenticator.rolesFromOrganizationalUnits())
        .tls(certificates.serverTls(certificates.server(), TlsOptions.ClientAuthMode.REQUIRE)).build()).start();
    TlsOptions ops = certificates.clientTls(certificates.client("ops", "CN=ops,OU=admin"));
    TlsOptions agent = certificates.clientTls(certificates.client("agent", "CN=agent-7,OU=agent"));
    try (ControlPlaneClient admin = ControlPlaneClient.create("localhost", grpc.port(), "", ops, Duration.ofSeconds(10));
        ControlPlaneClient node = ControlPlaneClient.create("localhost", grpc.port(), "", agent, Duration.ofSeconds(10))) {
      assertThat(admin.apply("payments", new byte[] {1}).getVersion()).isEqualTo(1);
      assertThatThrownBy(() -> node.apply("payments", new byte[] {2}))
          .hasMessage("PERMISSION_DENIED: identity agent-7 lacks role admin for ApplyConfiguration");
      assertThat(call(grpc, certificates.clientTls())).as("no client certificate").isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void agentOverGrpcWithMutualTls_isAuthenticatedByItsClientCertificate_andSeenAtItsTcpAddress() throws Exception {
    // The MCP server authenticates Hello with the client certificate only (no token): it works for a
    // gRPC agent only if Connect hands the HTTP/2 connection's certificate chain to the handshake.
    List<AuthenticationRequest> seen = new CopyOnWriteArrayList<>();
    Authenticator mtls = io.mcp.core.auth.MtlsAuthenticator.rolesFromOrganizationalUnits();
    Controller mtlsController = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(request -> {
          seen.add(request);
          return mtls.authenticate(request);
        }).build(), new InMemoryConfigStore()).build()).start();
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(mtlsController, GrpcServerOptions.builder()
        .host("127.0.0.1").authenticator(mtls)
        .tls(certificates.serverTls(certificates.server(), TlsOptions.ClientAuthMode.REQUIRE)).build()).start();
    TlsOptions agentTls = certificates.clientTls(certificates.client("agent", "CN=agent-7,OU=agent"));
    Agent agent = Agent.create(AgentOptions.builder("node-7").services("payments").configListener((s, v, c) -> { })
        .transport(GrpcAgentTransport.create(agentTls))
        .endpoint(new InetSocketAddress("localhost", grpc.port())).build()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (mtlsController.nodes().stream().noneMatch(NodeView::connected) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(mtlsController.nodes()).singleElement().satisfies(n -> assertThat(n.connected()).isTrue());
      AuthenticationRequest hello = seen.get(seen.size() - 1);
      assertThat(hello.nodeId()).isEqualTo("node-7");
      assertThat(hello.token()).isEmpty();
      assertThat(hello.peerCertificates()).isNotEmpty();
      assertThat(hello.peerCertificates().get(0).getSubjectX500Principal().getName()).contains("CN=agent-7");
      assertThat(hello.remoteAddress()).isInstanceOfSatisfying(InetSocketAddress.class,
          a -> assertThat(a.getAddress().isLoopbackAddress()).isTrue());
      assertThat(mtlsController.server().sessions()).singleElement()
          .satisfies(s -> assertThat(s.remoteAddress()).isInstanceOf(InetSocketAddress.class));
    } finally {
      agent.close();
      grpc.shutdown(Duration.ofSeconds(2));
      mtlsController.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void tlsWithoutAKeyPair_refusedWhenTheServerIsCreated() {
    assertThatThrownBy(() -> GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .tls(TlsOptions.builder().build()).build()))
        .hasMessage("a TLS gRPC server needs certificateChain and privateKey");
  }
}
