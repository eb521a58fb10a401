package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

import io.mcp.codec.McpException;
import io.mcp.core.TestCertificates.KeyPairFiles;
import io.mcp.core.TlsOptions.ClientAuthMode;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.internal.NettySession;
import io.mcp.core.spi.Authenticator;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS over real loopback sockets: TLS 1.3 and 1.2 work; a wrong CA, an expired server or client
 * certificate, a missing client certificate under mutual TLS, and plaintext against a TLS port each
 * fail the client's connect future with a clear error, leave no session on the server, and leave
 * the server serving correct clients.
 */
class TlsIntegrationTest {
  static final String TOKEN = "tls-test-token-0123456789";

  @TempDir
  static Path dir;
  static TestCertificates certs;
  static KeyPairFiles serverCert;
  static KeyPairFiles clientCert;

  final List<McpServer> servers = new ArrayList<>();
  final List<McpClient> clients = new ArrayList<>();
  final LinkedBlockingQueue<Session> serverReady = new LinkedBlockingQueue<>();

  @BeforeAll
  static void pki() {
    certs = TestCertificates.create(dir);
    serverCert = certs.server();
    clientCert = certs.client("client-node-1", "CN=node-1, OU=agent");
  }

  @AfterEach
  void stop() throws Exception {
    for (McpClient client : clients) {
      client.close();
    }
    for (McpServer server : servers) {
      server.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
    }
  }

  McpServer server(TlsOptions tls, Authenticator authenticator) {
    McpServer server = McpServer.create(ServerOptions.builder()
        .host("127.0.0.1")
        .port(0)
        .ioThreads(1)
        .loadExtensionProviders(false)
        .authenticator(authenticator)
        .tls(tls)
        .addListener(new SessionListener() {
          @Override
          public void onReady(Session session) {
            serverReady.add(session);
          }
        })
        .build()).start();
    servers.add(server);
    return server;
  }

  McpServer server(TlsOptions tls) {
    return server(tls, Authenticators.staticToken(TOKEN));
  }

  McpClient client(String nodeId, TlsOptions tls) {
    McpClient client = McpClient.create(ClientOptions.builder(nodeId).serviceName("svc").token(TOKEN).tls(tls).build());
    clients.add(client);
    return client;
  }

  static InetSocketAddress address(McpServer server) {
    return new InetSocketAddress("127.0.0.1", server.port());
  }

  static Session connect(McpClient client, McpServer server) throws Exception {
    return client.connect(address(server)).get(10, TimeUnit.SECONDS);
  }

  /** Connects expecting failure; returns the McpException the connect future failed with. */
  static McpException connectFails(McpClient client, McpServer server) {
    CompletableFuture<Session> future = client.connect(address(server));
    ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
    assertThat(e).as("connect future should fail").isNotNull();
    assertThat(e.getCause()).isInstanceOf(McpException.class);
    return (McpException) e.getCause();
  }

  /** Waits (bounded) until the server has no session, no connection and no pending handshake. */
  static void awaitNoSessions(McpServer server) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!server.sessions().isEmpty() || server.connectionCount() != 0 || server.pendingHandshakeCount() != 0) {
      if (System.nanoTime() - deadline > 0) {
        fail("server kept sessions " + server.sessions() + ", connections " + server.connectionCount()
            + ", pending handshakes " + server.pendingHandshakeCount());
      }
      Thread.sleep(10);
    }
  }

  /** The failed client left nothing on the server, never reached READY there, and a correct client still connects. */
  void assertNoSessionAndServerUnharmed(McpServer server, TlsOptions goodClientTls) throws Exception {
    awaitNoSessions(server);
    assertThat(serverReady).as("no session may reach READY on the server").isEmpty();
    Session good = connect(client("good-node", goodClientTls), server);
    assertThat(good.state()).isEqualTo(SessionState.READY);
    assertThat(serverReady.poll(10, TimeUnit.SECONDS)).isNotNull();
    good.close().get(10, TimeUnit.SECONDS);
  }

  static String tlsProtocol(Session session) {
    SslHandler ssl = ((NettySession) session).channel().pipeline().get(SslHandler.class);
    assertThat(ssl).as("session runs over TLS").isNotNull();
    return ssl.engine().getSession().getProtocol();
  }

  @Test
  void defaultProtocols_readyOverTls13() throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.NONE));

    Session clientSession = connect(client("node-1", certs.clientTls()), server);
    Session serverSession = serverReady.poll(10, TimeUnit.SECONDS);

    assertThat(clientSession.state()).isEqualTo(SessionState.READY);
    assertThat(serverSession.identity().name()).isEqualTo("node-1");
    assertThat(tlsProtocol(serverSession)).isEqualTo("TLSv1.3");
    assertThat(tlsProtocol(clientSession)).isEqualTo("TLSv1.3");
  }

  @Test
  void clientLimitedToTls12_readyOverTls12() throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.NONE));

    Session clientSession = connect(client("node-1", certs.clientTls().toBuilder().protocols("TLSv1.2").build()), server);
    Session serverSession = serverReady.poll(10, TimeUnit.SECONDS);

    assertThat(clientSession.state()).isEqualTo(SessionState.READY);
    assertThat(tlsProtocol(serverSession)).isEqualTo("TLSv1.2");
  }

  @Test
  void serverTls13Only_clientTls12Only_failsNoSession() throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.NONE).toBuilder().protocols("TLSv1.3").build());

    McpException e = connectFails(client("node-1", certs.clientTls().toBuilder().protocols("TLSv1.2").build()), server);

    assertThat(e.getMessage()).contains("TLS handshake failed").contains("protocol_version");
    assertNoSessionAndServerUnharmed(server, certs.clientTls());
  }

  @Test
  void serverCertificateFromUntrustedCa_failsNoSession() throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.NONE));
    TlsOptions trustsOtherCa = TlsOptions.builder().trustedCertificates(certs.otherCaFile()).build();

    McpException e = connectFails(client("node-1", trustsOtherCa), server);

    assertThat(e.getMessage()).contains("TLS handshake failed").contains("certification path");
    assertNoSessionAndServerUnharmed(server, certs.clientTls());
  }

  @Test
  void expiredServerCertificate_failsNoSession() throws Exception {
    KeyPairFiles expired = certs.expiredServer();
    McpServer server = server(certs.serverTls(expired, ClientAuthMode.NONE));

    McpException e = connectFails(client("node-1", certs.clientTls()), server);

    // The JDK's root cause is CertificateExpiredException, whose message is "NotAfter: <date>".
    assertThat(e.getMessage()).contains("TLS handshake failed").contains("CertificateExpiredException: NotAfter");
    // Only a client that pins the expired certificate itself can still reach this server.
    assertNoSessionAndServerUnharmed(server, certs.clientTlsPinning(expired));
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void mtlsRequired_expiredClientCertificate_failsNoSession(String protocol) throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.REQUIRE), Authenticators.mutualTls());

    McpException e = connectFails(client("node-1", certs.clientTls(certs.expiredClient()).toBuilder()
        .protocols(protocol).build()), server);

    // The server rejects the chain and says so in a TLS alert: under TLS 1.2 it fails the client's
    // handshake; under TLS 1.3 the client has finished its handshake and learns of it from the alert.
    assertThat(e.getMessage()).containsAnyOf("TLS handshake failed", "transport error").contains("certificate");
    assertNoSessionAndServerUnharmed(server, certs.clientTls(clientCert).toBuilder().protocols(protocol).build());
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void mtlsRequired_clientWithoutCertificate_failsNoSession(String protocol) throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.REQUIRE), Authenticators.mutualTls());

    McpException e = connectFails(client("node-1", certs.clientTls().toBuilder().protocols(protocol).build()), server);

    // TLS 1.2 fails the client's handshake; under TLS 1.3 the client learns of it from the alert
    // that follows its own handshake. Either way the error names TLS.
    assertThat(e.getMessage()).containsAnyOf("TLS handshake failed", "transport error");
    assertThat(e.getMessage()).contains("certificate");
    assertNoSessionAndServerUnharmed(server, certs.clientTls(clientCert).toBuilder().protocols(protocol).build());
  }

  @Test
  void mtlsRequired_clientCertificateFromUntrustedCa_failsNoSession() throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.REQUIRE), Authenticators.mutualTls());
    KeyPairFiles rogue = certs.clientFromOtherCa("rogue", "CN=node-1");

    McpException e = connectFails(client("node-1", certs.clientTls(rogue)), server);

    assertThat(e.getMessage()).containsAnyOf("TLS handshake failed", "transport error").contains("certificate");
    assertNoSessionAndServerUnharmed(server, certs.clientTls(clientCert));
  }

  @Test
  void plaintextClientToTlsPort_failsNoSession() throws Exception {
    McpServer server = server(certs.serverTls(serverCert, ClientAuthMode.NONE));

    McpException e = connectFails(client("node-1", null), server);

    // The server's TLS layer drops the connection without any MCP frame (PROTOCOL.md §10); the
    // client's error says what that most likely means.
    assertThat(e.getMessage()).contains("closed before READY: TRANSPORT")
        .contains("the peer closed the connection before the handshake, without a frame (does the server expect TLS?)");
    assertNoSessionAndServerUnharmed(server, certs.clientTls());
  }

  @Test
  void tlsClientToPlaintextPort_failsNoSession() throws Exception {
    McpServer server = server(null);

    McpException e = connectFails(client("node-1", certs.clientTls()), server);

    // The plaintext server answers the ClientHello with a plaintext CLOSE: "not an SSL/TLS record".
    assertThat(e.getMessage()).contains("TLS handshake failed");
    awaitNoSessions(server);
    assertThat(serverReady).isEmpty();
    Session good = connect(client("good-node", null), server);
    assertThat(good.state()).isEqualTo(SessionState.READY);
  }

  @Test
  void tlsOptions_protocolsOutsideTls12And13_refused() {
    assertThat(catchThrowableOfType(IllegalArgumentException.class,
        () -> TlsOptions.builder().protocols("TLSv1.1")))
        .hasMessage("protocol TLSv1.1 not supported (supported: [TLSv1.3, TLSv1.2])");
    assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> TlsOptions.builder().protocols()))
        .hasMessage("protocols must not be empty");
  }
}
