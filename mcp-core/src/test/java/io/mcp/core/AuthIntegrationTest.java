package io.mcp.core;

import static io.mcp.core.auth.TestTokens.SECRET;
import static io.mcp.core.auth.TestTokens.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;
import io.mcp.core.TestCertificates.KeyPairFiles;
import io.mcp.core.TlsOptions.ClientAuthMode;
import io.mcp.core.auth.Authenticators;
import io.mcp.core.auth.JwtAuthenticator;
import io.mcp.core.auth.MtlsAuthenticator;
import io.mcp.core.auth.TestTokens;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorRegistry;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication over real loopback sockets: an accepted client reaches READY and the server-side
 * session carries the identity the authenticator built; a rejected one gets CLOSE(UNAUTHENTICATED)
 * with a reason that never contains its token, no session stays on the server, and the server keeps
 * serving.
 */
class AuthIntegrationTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir
  static Path dir;
  static TestCertificates certs;
  static KeyPairFiles serverCert;

  final List<McpServer> servers = new ArrayList<>();
  final List<McpClient> clients = new ArrayList<>();
  final LinkedBlockingQueue<Session> serverReady = new LinkedBlockingQueue<>();

  @BeforeAll
  static void pki() {
    certs = TestCertificates.create(dir);
    serverCert = certs.server();
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

  McpServer server(Authenticator authenticator, TlsOptions tls) {
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

  McpClient client(String nodeId, String token, TlsOptions tls) {
    McpClient client = McpClient.create(
        ClientOptions.builder(nodeId).serviceName("billing").token(token).tls(tls).build());
    clients.add(client);
    return client;
  }

  static InetSocketAddress address(McpServer server) {
    return new InetSocketAddress("127.0.0.1", server.port());
  }

  static Session connect(McpClient client, McpServer server) throws Exception {
    return client.connect(address(server)).get(10, TimeUnit.SECONDS);
  }

  /** Connects expecting CLOSE(UNAUTHENTICATED); returns the exception's message. */
  static String rejected(McpClient client, McpServer server) {
    CompletableFuture<Session> future = client.connect(address(server));
    ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> future.get(10, TimeUnit.SECONDS));
    assertThat(e).as("connect future should fail").isNotNull();
    assertThat(e.getCause()).isInstanceOf(McpException.class);
    McpException mcp = (McpException) e.getCause();
    assertThat(mcp.closeCode()).isEqualTo(CloseCode.UNAUTHENTICATED);
    return mcp.getMessage();
  }

  /** No session left or READY on the server, and a client with {@code goodToken} still connects. */
  void assertNoSessionAndServerUnharmed(McpServer server, String goodToken, TlsOptions tls) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!server.sessions().isEmpty() || server.connectionCount() != 0) {
      if (System.nanoTime() - deadline > 0) {
        fail("server kept sessions " + server.sessions() + ", connections " + server.connectionCount());
      }
      Thread.sleep(10);
    }
    assertThat(serverReady).as("no session may reach READY on the server").isEmpty();
    Session good = connect(client("node-1", goodToken, tls), server);
    assertThat(good.state()).isEqualTo(SessionState.READY);
    assertThat(serverReady.poll(10, TimeUnit.SECONDS)).isNotNull();
    good.close().get(10, TimeUnit.SECONDS);
  }

  static JwtAuthenticator jwtHs256() {
    return JwtAuthenticator.hs256(SECRET).clock(CLOCK).issuer("https://auth.example").build();
  }

  static String goodJwt() {
    return TestTokens.hs256(SECRET, claims("node-1", NOW, List.of("agent", "deployer"), List.of("billing"))
        .issuer("https://auth.example").build());
  }

  @Test
  void jwt_validToken_readyWithIdentityOnServerSession() throws Exception {
    McpServer server = server(jwtHs256(), null);

    Session clientSession = connect(client("node-1", goodJwt(), null), server);
    Session serverSession = serverReady.poll(10, TimeUnit.SECONDS);

    assertThat(clientSession.state()).isEqualTo(SessionState.READY);
    assertThat(serverSession.identity().name()).isEqualTo("node-1");
    assertThat(serverSession.identity().roles()).containsExactlyInAnyOrder("agent", "deployer");
    assertThat(serverSession.identity().services()).containsExactly("billing");
    assertThat(serverSession.identity().allowsService("orders")).isFalse();
  }

  @Test
  void jwt_badSignature_closedUnauthenticated_noSession() throws Exception {
    McpServer server = server(jwtHs256(), null);
    String forged = TestTokens.hs256(TestTokens.OTHER_SECRET,
        claims("node-1", NOW, List.of("admin"), List.of()).issuer("https://auth.example").build());

    String reason = rejected(client("node-1", forged, null), server);

    assertThat(reason).contains("bad signature").doesNotContain(forged);
    assertNoSessionAndServerUnharmed(server, goodJwt(), null);
  }

  @Test
  void jwt_expired_closedUnauthenticatedWithExpiry() throws Exception {
    McpServer server = server(jwtHs256(), null);
    String expired = TestTokens.hs256(SECRET, claims("node-1", NOW.minusSeconds(7200))
        .expirationTime(Date.from(NOW.minusSeconds(3600))).issuer("https://auth.example").build());

    String reason = rejected(client("node-1", expired, null), server);

    assertThat(reason).contains("token expired at 2026-03-01T11:00:00Z").doesNotContain(expired);
    assertNoSessionAndServerUnharmed(server, goodJwt(), null);
  }

  @Test
  void jwt_wrongIssuer_closedUnauthenticated() throws Exception {
    McpServer server = server(jwtHs256(), null);
    String token = TestTokens.hs256(SECRET, claims("node-1", NOW).issuer("https://evil.example").build());

    assertThat(rejected(client("node-1", token, null), server)).contains("issuer \"https://evil.example\" not accepted");
    assertNoSessionAndServerUnharmed(server, goodJwt(), null);
  }

  @Test
  void jwt_noToken_closedUnauthenticated() throws Exception {
    McpServer server = server(jwtHs256(), null);

    assertThat(rejected(client("node-1", "", null), server)).contains("missing token");
    assertNoSessionAndServerUnharmed(server, goodJwt(), null);
  }

  @Test
  void jwtRs256FromRegistry_overTls_ready() throws Exception {
    X509Bundle issuer = new CertificateBuilder().rsa2048().subject("CN=token issuer").setIsCertificateAuthority(true)
        .buildSelfSigned();
    Path publicKey = Files.writeString(dir.resolve("token-issuer.pem"), issuer.getCertificatePEM());
    Authenticator jwt = AuthenticatorRegistry.getDefault().create("jwt",
        Map.of("algorithm", "RS256", "public-key-file", publicKey.toString(), "audience", "mcp"));
    McpServer server = server(jwt, certs.serverTls(serverCert, ClientAuthMode.NONE));
    String token = TestTokens.rs256(issuer.getKeyPair().getPrivate(),
        claims("node-1", Instant.now(), List.of("agent"), List.of()).audience("mcp").build());

    connect(client("node-1", token, certs.clientTls()), server);

    assertThat(serverReady.poll(10, TimeUnit.SECONDS).identity().roles()).containsExactly("agent");
  }

  @Test
  void staticToken_wrongToken_closedUnauthenticated_noSession() throws Exception {
    String token = "static-secret-0123456789";
    McpServer server = server(Authenticators.staticToken(token), null);

    String reason = rejected(client("node-1", token + "-nope", null), server);

    assertThat(reason).contains("invalid token").doesNotContain(token);
    assertNoSessionAndServerUnharmed(server, token, null);
  }

  @Test
  void mtls_validClientCertificate_readyWithCommonNameAndOuRoles() throws Exception {
    McpServer server = server(MtlsAuthenticator.rolesFromOrganizationalUnits(),
        certs.serverTls(serverCert, ClientAuthMode.REQUIRE));
    KeyPairFiles client = certs.client("node-7", "CN=node-7, OU=agent, OU=deployer, O=MCP Tests");

    Session clientSession = connect(client("node-7", "", certs.clientTls(client)), server);
    Session serverSession = serverReady.poll(10, TimeUnit.SECONDS);

    assertThat(clientSession.state()).isEqualTo(SessionState.READY);
    assertThat(serverSession.identity().name()).isEqualTo("node-7");
    assertThat(serverSession.identity().roles()).containsExactlyInAnyOrder("agent", "deployer");
  }

  @Test
  void mtls_defaultMapping_identityIsCommonName() throws Exception {
    McpServer server = server(Authenticators.mutualTls(), certs.serverTls(serverCert, ClientAuthMode.REQUIRE));
    KeyPairFiles client = certs.client("node-8", "CN=node-8, OU=agent");

    connect(client("some-node-id", "", certs.clientTls(client)), server);

    assertThat(serverReady.poll(10, TimeUnit.SECONDS).identity()).isEqualTo(Identity.of("node-8"));
  }

  @Test
  void mtls_optionalClientAuth_noCertificate_closedUnauthenticated() throws Exception {
    // TLS succeeds without a client certificate; the authenticator then refuses (PROTOCOL.md §10).
    McpServer server = server(Authenticators.mutualTls(), certs.serverTls(serverCert, ClientAuthMode.OPTIONAL));

    assertThat(rejected(client("node-1", "", certs.clientTls()), server)).contains("client certificate required");

    KeyPairFiles client = certs.client("node-9", "CN=node-9");
    assertNoSessionAndServerUnharmed(server, "", certs.clientTls(client));
  }

  @Test
  void mtls_plaintext_closedUnauthenticated() throws Exception {
    McpServer server = server(Authenticators.mutualTls(), null);

    assertThat(rejected(client("node-1", "", null), server)).contains("client certificate required");
  }

  @Test
  void allowAll_acceptsAnonymous() throws Exception {
    McpServer server = server(Authenticators.allowAll(), null);

    connect(client("node-1", "", null), server);

    assertThat(serverReady.poll(10, TimeUnit.SECONDS).identity()).isEqualTo(Identity.anonymous());
  }
}
