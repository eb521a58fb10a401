package io.mcp.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.TestCertificates;
import io.mcp.core.TestCertificates.KeyPairFiles;
import io.mcp.core.TlsOptions;
import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.StoreException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store against a real etcd that serves clients only over TLS and requires a client certificate
 * ({@code --client-cert-auth}), on a loopback port: the right CA and key pair work; another CA, no
 * client certificate and a plaintext endpoint fail with clear errors.
 */
class EtcdTlsTest {
  @TempDir
  static Path dir;
  static TestCertificates certificates;
  static Process etcd;
  static URI endpoint;

  @BeforeAll
  static void startEtcd() throws Exception {
    certificates = TestCertificates.create(Files.createDirectories(dir.resolve("certs")));
    KeyPairFiles server = certificates.server();
    int clientPort = freePort();
    int peerPort = freePort();
    endpoint = URI.create("https://127.0.0.1:" + clientPort);
    String peer = "http://127.0.0.1:" + peerPort;
    etcd = new ProcessBuilder(EtcdCluster.binary(),
        "--name", "tls",
        "--data-dir", dir.resolve("data").toString(),
        "--listen-client-urls", endpoint.toString(),
        "--advertise-client-urls", endpoint.toString(),
        "--listen-peer-urls", peer,
        "--initial-advertise-peer-urls", peer,
        "--initial-cluster", "tls=" + peer,
        "--cert-file", server.chain().toString(),
        "--key-file", server.key().toString(),
        "--trusted-ca-file", certificates.caFile().toString(),
        "--client-cert-auth",
        "--logger", "zap",
        "--log-level", "warn")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()))
        .start();
    // Healthy once a store with the right credentials can open (bounded).
    long deadline = System.nanoTime() + EtcdCluster.START_DEADLINE.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      if (!etcd.isAlive()) {
        throw new IllegalStateException("etcd exited with " + etcd.exitValue() + ": "
            + Files.readString(dir.resolve("etcd.log")));
      }
      try (EtcdConfigStore store = EtcdConfigStore.open(options(mtls()).build())) {
        return;
      } catch (RuntimeException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("etcd over TLS not ready within " + EtcdCluster.START_DEADLINE, last);
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.destroy();
      if (!etcd.waitFor(10, TimeUnit.SECONDS)) {
        etcd.destroyForcibly();
      }
    }
  }

  static TlsOptions mtls() {
    KeyPairFiles client = certificates.client("mcp-store", "CN=mcp-store");
    return TlsOptions.builder().trustedCertificates(certificates.caFile()).keyPair(client.chain(), client.key())
        .build();
  }

  static EtcdStoreOptions.Builder options(TlsOptions tls) {
    return EtcdStoreOptions.builder(List.of(endpoint)).keyPrefix("/tls-test").replicaId("r1")
        .requestTimeout(Duration.ofSeconds(2)).tls(tls);
  }

  @Test
  void rightCaAndClientCertificate_appendsAndReadsBack() {
    try (EtcdConfigStore store = EtcdConfigStore.open(options(mtls()).build())) {
      ConfigVersion appended = store.append("payments", "limit=5".getBytes(UTF_8));

      assertThat(store.latest("payments")).hasValueSatisfying(v -> {
        assertThat(v.version()).isEqualTo(appended.version());
        assertThat(UTF_8.decode(v.data()).toString()).isEqualTo("limit=5");
      });
    }
  }

  @Test
  void providerSettings_tlsFiles() throws Exception {
    KeyPairFiles client = certificates.client("mcp-store", "CN=mcp-store");
    java.util.Map<String, String> settings = java.util.Map.of("endpoints", endpoint.toString(), "key-prefix", "/tls-test",
        "tls-ca-file", certificates.caFile().toString(), "tls-cert-file", client.chain().toString(),
        "tls-key-file", client.key().toString());

    try (io.mcp.core.spi.ConfigStore store = new EtcdConfigStoreProvider().open(settings)) {
      assertThat(store.append("shipping", "zone=a".getBytes(UTF_8)).version()).isPositive();
    }
    assertThatThrownBy(() -> EtcdConfigStoreProvider.options(java.util.Map.of("endpoints", endpoint.toString(),
        "tls-cert-file", client.chain().toString(), "tls-key-file", client.key().toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("settings tls-cert-file and tls-key-file need tls-ca-file (the CA of etcd's certificate)");
  }

  @Test
  void etcdCertificateFromAnotherCa_refused() {
    KeyPairFiles client = certificates.client("mcp-store", "CN=mcp-store");
    TlsOptions otherCa = TlsOptions.builder().trustedCertificates(certificates.otherCaFile())
        .keyPair(client.chain(), client.key()).build();

    assertThatThrownBy(() -> EtcdConfigStore.open(options(otherCa).build()).close())
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(endpoint.toString())
        .hasMessageContaining("over TLS: check that tls trusts the CA that signed etcd's certificate");
  }

  @Test
  void noClientCertificate_refusedByEtcd() {
    TlsOptions withoutKeyPair = TlsOptions.builder().trustedCertificates(certificates.caFile()).build();

    assertThatThrownBy(() -> EtcdConfigStore.open(options(withoutKeyPair).build()).close())
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(endpoint.toString())
        .hasMessageContaining("over TLS: check that tls trusts the CA that signed etcd's certificate");
  }

  @Test
  void endpointSchemeMustMatchTheTlsSetting() {
    assertThatThrownBy(() -> EtcdStoreOptions.builder(List.of(URI.create("http://127.0.0.1:2379"))).tls(mtls()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("etcd endpoint http://127.0.0.1:2379 must be an https:// URL when TLS is configured");
    assertThatThrownBy(() -> EtcdStoreOptions.builder(List.of(URI.create("https://127.0.0.1:2379"))).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("etcd endpoint https://127.0.0.1:2379 must be an http:// URL without TLS"
            + " (configure tls(...) for https)");
  }

  @Test
  void credentials_neverPrinted() {
    EtcdStoreOptions options = options(mtls()).credentials("mcp", "s3cr3t-pw").build();

    assertThat(options.toString()).contains("user=mcp", "tls=true").doesNotContain("s3cr3t-pw");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
