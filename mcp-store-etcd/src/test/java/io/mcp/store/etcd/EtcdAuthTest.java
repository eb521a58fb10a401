package io.mcp.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.mcp.core.spi.ConfigVersion;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store against a real etcd with authentication enabled (a root user with a password): the
 * right credentials work, a wrong password and no credentials are refused with a clear error.
 */
class EtcdAuthTest {
  static final String PASSWORD = "root-pw-for-tests";
  static EtcdCluster etcd;
  static URI endpoint;

  @BeforeAll
  static void startEtcdWithAuth() throws Exception {
    etcd = EtcdCluster.start(1);
    endpoint = etcd.endpoints().get(0);
    try (Client admin = Client.builder().endpoints(endpoint).build()) {
      ByteSequence root = ByteSequence.from("root", UTF_8);
      admin.getAuthClient().roleAdd(root).get(10, TimeUnit.SECONDS);
      admin.getAuthClient().userAdd(root, ByteSequence.from(PASSWORD, UTF_8)).get(10, TimeUnit.SECONDS);
      admin.getAuthClient().userGrantRole(root, root).get(10, TimeUnit.SECONDS);
      admin.getAuthClient().authEnable().get(10, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stopEtcd() throws Exception {
    if (etcd != null) {
      etcd.close();
    }
  }

  static EtcdStoreOptions.Builder options() {
    return EtcdStoreOptions.builder(List.of(endpoint)).keyPrefix("/auth-test").replicaId("r1")
        .requestTimeout(Duration.ofSeconds(2));
  }

  @Test
  void rightCredentials_appendAndReadBack() {
    try (EtcdConfigStore store = EtcdConfigStore.open(options().credentials("root", PASSWORD).build())) {
      ConfigVersion appended = store.append("payments", "limit=5".getBytes(UTF_8));

      assertThat(store.latest("payments")).hasValueSatisfying(v -> assertThat(v.version()).isEqualTo(appended.version()));
    }
  }

  @Test
  void providerSettings_userAndPasswordFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path passwordFile = java.nio.file.Files.writeString(dir.resolve("etcd-password"), PASSWORD + "\n");
    java.util.Map<String, String> settings = java.util.Map.of("endpoints", endpoint.toString(), "key-prefix", "/auth-test",
        "user", "root", "password-file", passwordFile.toString());

    try (io.mcp.core.spi.ConfigStore store = new EtcdConfigStoreProvider().open(settings)) {
      assertThat(store.append("shipping", "zone=a".getBytes(UTF_8)).version()).isPositive();
    }
    assertThatThrownBy(() -> EtcdConfigStoreProvider.options(java.util.Map.of("endpoints", endpoint.toString(),
        "user", "root")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("settings user and password-file go together (the password is read from the file)");
  }

  @Test
  void wrongPassword_refused() {
    assertThatThrownBy(() -> EtcdConfigStore.open(options().credentials("root", "not-the-password").build()).close())
        .isInstanceOf(io.mcp.core.spi.StoreException.class)
        .hasStackTraceContaining("authentication failed, invalid user ID or password")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-password"));
  }

  @Test
  void noCredentials_refused() {
    assertThatThrownBy(() -> EtcdConfigStore.open(options().build()).close())
        .isInstanceOf(io.mcp.core.spi.StoreException.class)
        .hasMessageContaining("etcd failed the first read: INVALID_ARGUMENT: etcdserver: user name is empty");
  }
}
