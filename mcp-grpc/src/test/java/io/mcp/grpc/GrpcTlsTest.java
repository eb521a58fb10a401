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
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.CertificateBuilder.KeyUsage;
import io.netty.pkitesting.X509Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the gRPC port: the right CA works; wrong CA, expired server or client certificate, a
 * certificate for another host and plaintext fail; missing files are named.
 */
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
        .hasMessage("a TLS server needs certificateChain and privateKey");
  }

  @Test
  void missingTlsFiles_refusedNamingTheFile() {
    Path missing = dir.resolve("missing.pem");
    TestCertificates.KeyPairFiles server = certificates.server();
    assertThatThrownBy(() -> GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .tls(TlsOptions.builder().keyPair(missing, server.key()).build()).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot build TLS server context: certificateChain file " + missing + " is missing or unreadable");
    assertThatThrownBy(() -> ControlPlaneClient.create("localhost", 1, "", TlsOptions.builder()
        .trustedCertificates(missing).build(), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot build TLS client context: trustedCertificates file " + missing + " is missing or unreadable");
  }

  /** A CA of this test's own, for certificates TestCertificates does not make. */
  private static final class OwnCa {
    final Path dir;
    final X509Bundle ca;
    final Path caFile;

    OwnCa(Path dir) throws Exception {
      this.dir = dir;
      Instant now = Instant.now();
      this.ca = new CertificateBuilder().ecp256().subject("CN=GrpcTlsTest CA")
          .notBefore(now.minus(Duration.ofDays(1))).notAfter(now.plus(Duration.ofDays(30)))
          .setIsCertificateAuthority(true).setKeyUsage(true, KeyUsage.keyCertSign, KeyUsage.cRLSign)
          .buildSelfSigned();
      this.caFile = Files.writeString(dir.resolve("own-ca.pem"), ca.getCertificatePEM());
    }

    TestCertificates.KeyPairFiles client(String name, String subject, Instant notBefore, Instant notAfter)
        throws Exception {
      return issue(name, new CertificateBuilder().ecp256().subject(subject).notBefore(notBefore).notAfter(notAfter)
          .setKeyUsage(true, KeyUsage.digitalSignature).addExtendedKeyUsageClientAuth());
    }

    TestCertificates.KeyPairFiles server(String name, String dnsName) throws Exception {
      Instant now = Instant.now();
      return issue(name, new CertificateBuilder().ecp256().subject("CN=" + dnsName).addSanDnsName(dnsName)
          .notBefore(now.minus(Duration.ofDays(1))).notAfter(now.plus(Duration.ofDays(7)))
          .setKeyUsage(true, KeyUsage.digitalSignature).addExtendedKeyUsageServerAuth());
    }

    private TestCertificates.KeyPairFiles issue(String name, CertificateBuilder builder) throws Exception {
      X509Bundle bundle = builder.buildIssuedBy(ca);
      return new TestCertificates.KeyPairFiles(Files.writeString(dir.resolve(name + ".pem"),
          bundle.getCertificatePathPEM()), Files.writeString(dir.resolve(name + "-key.pem"),
          bundle.getPrivateKeyPEM()), bundle);
    }
  }

  @Test
  void expiredClientCertificate_refusedUnderMutualTls_whileAValidOneFromTheSameCaWorks() throws Exception {
    OwnCa own = new OwnCa(dir);
    Instant now = Instant.now();
    TestCertificates.KeyPairFiles valid = own.client("ops-valid", "CN=ops,OU=admin",
        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(7)));
    TestCertificates.KeyPairFiles expired = own.client("ops-expired", "CN=ops,OU=admin",
        now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
    List<AuthenticationRequest> authenticated = new CopyOnWriteArrayList<>();
    Authenticator mtls = io.mcp.core.auth.MtlsAuthenticator.rolesFromOrganizationalUnits();
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1")
        .authenticator(request -> {
          authenticated.add(request);
          return mtls.authenticate(request);
        })
        .tls(TlsOptions.builder().keyPair(certificates.server().chain(), certificates.server().key())
            .trustedCertificates(own.caFile).clientAuth(TlsOptions.ClientAuthMode.REQUIRE).build()).build()).start();
    try {
      assertThat(call(grpc, certificates.clientTls(expired))).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(authenticated).as("the handshake failed before any call").isEmpty();
      assertThat(call(grpc, certificates.clientTls(valid))).isEqualTo(Status.Code.OK);
      assertThat(authenticated).singleElement()
          .satisfies(r -> assertThat(r.peerCertificates().get(0).getSubjectX500Principal().getName()).contains("CN=ops"));
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
    }
  }

  @Test
  void verifyHostname_onRefusesACertificateForAnotherName_offAcceptsIt() throws Exception {
    OwnCa own = new OwnCa(dir);
    TestCertificates.KeyPairFiles elsewhere = own.server("elsewhere", "elsewhere.example");
    GrpcControlPlaneServer grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder()
        .host("127.0.0.1").tls(TlsOptions.builder().keyPair(elsewhere.chain(), elsewhere.key()).build()).build())
        .start();
    TlsOptions verifying = TlsOptions.builder().trustedCertificates(own.caFile).build();
    try {
      assertThat(call(grpc, verifying)).as("localhost is not elsewhere.example").isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(call(grpc, verifying.toBuilder().verifyHostname(false).build())).isEqualTo(Status.Code.OK);
      assertThat(call(grpc, TlsOptions.builder().trustedCertificates(certificates.caFile()).verifyHostname(false)
          .build())).as("the chain is still verified").isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      grpc.shutdown(Duration.ofSeconds(2));
    }
  }
}
