package io.mcp.grpc.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.core.TestCertificates;
import io.mcp.core.TlsOptions;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS on the gateway: a client trusting the CA is served; plaintext on the TLS port gets nothing. */
class HttpGatewayTlsTest {
  @TempDir
  Path dir;

  TestCertificates certificates;
  Controller controller;
  GrpcControlPlaneServer grpc;
  HttpGateway gateway;

  @BeforeEach
  void start() {
    certificates = TestCertificates.create(dir);
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(GatewayFixture.AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1").build()).start();
    gateway = HttpGateway.create(grpc, HttpGatewayOptions.builder().host("127.0.0.1")
        .tls(certificates.serverTls(certificates.server(), TlsOptions.ClientAuthMode.NONE)).build()).start();
  }

  @AfterEach
  void stop() throws Exception {
    gateway.close();
    grpc.shutdown(Duration.ofSeconds(2));
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  SSLContext trusting(Path ca) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(ca)) {
      store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  @Test
  void https_trustedCa_served() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(certificates.caFile()))
        .version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://localhost:"
        + gateway.port() + "/v1/nodes")).header("Authorization", "Bearer admin-token").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"nodes\"");
  }

  @Test
  void https_otherCa_refused_plaintextGetsNoAnswer() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(certificates.otherCaFile()))
        .version(HttpClient.Version.HTTP_1_1).build();
    assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(URI.create("https://localhost:"
        + gateway.port() + "/v1/nodes")).build(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    try (RawHttp raw = new RawHttp(gateway.port())) {
      raw.write("GET /v1/nodes HTTP/1.1\r\nHost: x\r\n\r\n");
      String line = raw.line();
      assertThat(line == null || !line.startsWith("HTTP/1.1")).isTrue();
    }
  }
}
