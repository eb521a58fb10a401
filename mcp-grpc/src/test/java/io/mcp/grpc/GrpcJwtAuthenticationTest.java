package io.mcp.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.core.auth.JwtAuthenticator;
import io.mcp.core.auth.TestTokens;
import io.mcp.grpc.proto.ListNodesRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Admin calls authenticated by mcp-core's JwtAuthenticator: the bearer token is a signed JWT. */
class GrpcJwtAuthenticationTest {
  static final String ISSUER = "https://auth.example.test";

  Controller controller;
  GrpcControlPlaneServer grpc;

  @BeforeEach
  void start() {
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GrpcControlPlaneTest.AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1")
        .authenticator(JwtAuthenticator.hs256(TestTokens.SECRET).issuer(ISSUER).build()).build()).start();
  }

  @AfterEach
  void stop() throws Exception {
    grpc.shutdown(Duration.ofSeconds(2));
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  String token(String subject, List<String> roles, Instant issuedAt, byte[] secret, String issuer) {
    return TestTokens.hs256(secret, TestTokens.claims(subject, issuedAt, roles, List.of()).issuer(issuer).build());
  }

  ControlPlaneClient client(String token) {
    return ControlPlaneClient.create("127.0.0.1", grpc.port(), token, null, Duration.ofSeconds(10));
  }

  @Test
  void signedTokenWithTheAdminRole_mayApply() {
    try (ControlPlaneClient ops = client(token("ops", List.of("admin"), Instant.now(), TestTokens.SECRET, ISSUER))) {
      assertThat(ops.apply("payments", "limit=5".getBytes(StandardCharsets.UTF_8)).getVersion()).isEqualTo(1);
    }
    assertThat(controller.history("payments", 10)).hasSize(1);
  }

  @Test
  void signedTokenWithoutTheAdminRole_mayReadButNotApply() {
    try (ControlPlaneClient viewer = client(token("viewer", List.of("read"), Instant.now(), TestTokens.SECRET,
        ISSUER))) {
      assertThat(viewer.blocking().listNodes(ListNodesRequest.getDefaultInstance()).getNodesCount()).isZero();
      assertThatThrownBy(() -> viewer.apply("payments", new byte[] {1}))
          .hasMessage("PERMISSION_DENIED: identity viewer lacks role admin for ApplyConfiguration");
    }
    assertThat(controller.history("payments", 10)).isEmpty();
  }

  @Test
  void expiredForgedOrForeignTokens_unauthenticatedWithTheReason() {
    Instant twoHoursAgo = Instant.now().minus(Duration.ofHours(2));
    String expired = token("ops", List.of("admin"), twoHoursAgo, TestTokens.SECRET, ISSUER);
    String forged = token("ops", List.of("admin"), Instant.now(), TestTokens.OTHER_SECRET, ISSUER);
    String foreign = token("ops", List.of("admin"), Instant.now(), TestTokens.SECRET, "https://elsewhere.test");

    try (ControlPlaneClient a = client(expired); ControlPlaneClient b = client(forged);
        ControlPlaneClient c = client(foreign); ControlPlaneClient d = client("not-a-jwt")) {
      assertThatThrownBy(() -> a.apply("payments", new byte[] {1}))
          .hasMessageStartingWith("UNAUTHENTICATED: token expired at ");
      assertThatThrownBy(() -> b.apply("payments", new byte[] {1})).hasMessage("UNAUTHENTICATED: bad signature");
      assertThatThrownBy(() -> c.apply("payments", new byte[] {1}))
          .hasMessageStartingWith("UNAUTHENTICATED: issuer ");
      assertThatThrownBy(() -> d.blocking().listNodes(ListNodesRequest.getDefaultInstance()))
          .hasMessage("UNAUTHENTICATED: malformed token (not a compact JWS)");
    }
    assertThat(controller.history("payments", 10)).isEmpty();
  }
}
