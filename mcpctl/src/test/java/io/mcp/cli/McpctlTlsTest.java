package io.mcp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.core.Controller;
import io.mcp.core.ControllerOptions;
import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.ServerOptions;
import io.mcp.core.TestCertificates;
import io.mcp.core.TlsOptions;
import io.mcp.grpc.GrpcControlPlaneServer;
import io.mcp.grpc.GrpcServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mcpctl's TLS options against a controller whose gRPC server requires mutual TLS. */
class McpctlTlsTest {
  @TempDir Path dir;
  TestCertificates certificates;
  Controller controller;
  GrpcControlPlaneServer grpc;

  @BeforeEach
  void start() {
    certificates = TestCertificates.create(dir);
    controller = Controller.create(ControllerOptions.builder(ServerOptions.builder().host("127.0.0.1")
        .authenticator(McpctlTest.AUTH).build(), new InMemoryConfigStore()).build()).start();
    grpc = GrpcControlPlaneServer.create(controller, GrpcServerOptions.builder().host("127.0.0.1")
        .tls(certificates.serverTls(certificates.server(), TlsOptions.ClientAuthMode.REQUIRE)).build()).start();
  }

  @AfterEach
  void stop() throws Exception {
    grpc.shutdown(Duration.ofSeconds(2));
    controller.shutdown(Duration.ofSeconds(2)).get(10, TimeUnit.SECONDS);
  }

  McpctlTest.Run mcpctl(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Mcpctl.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        Map.of("MCP_TARGET", "localhost:" + grpc.port(), "MCP_TOKEN", "admin-token"));
    return new McpctlTest.Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void caAndClientCertificate_connect() {
    TestCertificates.KeyPairFiles client = certificates.client("ops", "CN=ops");
    assertThat(mcpctl("nodes", "--ca", certificates.caFile().toString(), "--cert", client.chain().toString(),
        "--key", client.key().toString())).isEqualTo(new McpctlTest.Run(0, "no nodes\n", ""));
  }

  @Test
  void plaintextOrUntrustedServer_exit4_oneLine() {
    McpctlTest.Run plaintext = mcpctl("nodes");
    assertThat(plaintext.code()).isEqualTo(4);
    assertThat(plaintext.err()).startsWith("mcpctl: error: cannot reach the controller at localhost:" + grpc.port());
    assertThat(plaintext.err().lines().count()).as(plaintext.err()).isEqualTo(1);
    McpctlTest.Run untrusted = mcpctl("nodes", "--tls"); // the JDK's CAs do not know the test CA
    assertThat(untrusted.code()).isEqualTo(4);
    assertThat(untrusted.err().lines().count()).as(untrusted.err()).isEqualTo(1);
  }

  @Test
  void certWithoutKey_usageError() {
    assertThat(mcpctl("nodes", "--cert", certificates.caFile().toString())).isEqualTo(new McpctlTest.Run(2, "",
        "mcpctl: error: --cert and --key go together\n"));
  }
}
