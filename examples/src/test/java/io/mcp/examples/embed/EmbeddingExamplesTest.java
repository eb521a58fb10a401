package io.mcp.examples.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.config.ConfigLoader;
import io.mcp.config.McpServerConfig;
import io.mcp.config.StoreConfig;
import io.mcp.core.Health;
import io.mcp.core.NodeView;
import io.mcp.core.RolloutCondition;
import io.mcp.core.RolloutResult;
import io.mcp.core.spi.AuthenticationException;
import io.mcp.core.spi.AuthenticationRequest;
import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorRegistry;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.Registries;
import io.mcp.core.spi.RolloutPolicy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedding examples of docs/EMBEDDING.md, run for real on loopback. */
class EmbeddingExamplesTest {
  static final String OPS_KEY = "ops-key-0123456789abcdef";
  static final String NODE_KEY = "node-key-0123456789abcdef";

  @TempDir Path dir;

  /** The api-keys plugin, chosen by name in the layered configuration. */
  static Authenticator apiKeys() {
    McpServerConfig config = ConfigLoader.create().environment(Map.of()).systemProperties(Map.of())
        .set("auth.type", "api-keys", "test")
        .set("auth.options.key.ops", OPS_KEY, "test")
        .set("auth.options.key.node-1", NODE_KEY, "test")
        .set("auth.options.key.node-2", NODE_KEY + "2", "test")
        .set("auth.options.admins", "ops", "test")
        .set("store.type", "memory", "test")
        .load();
    assertThat(config.toString()).doesNotContain(OPS_KEY).doesNotContain(NODE_KEY);
    return config.auth().authenticator();
  }

  static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }

  @Test
  void pluginsAreFoundThroughServiceLoader() {
    assertThat(AuthenticatorRegistry.getDefault().names()).contains("api-keys", "static-token");
    assertThat(Registries.rolloutPolicyNames()).contains("batches", "canary");
    assertThat(Registries.storeNames()).contains("seeded-memory", "sqlite", "memory");
  }

  @Test
  void apiKeys_adminsAndAgentsByKey_unknownKeysRefused() {
    Authenticator auth = apiKeys();
    assertThat(auth.authenticate(request("x", OPS_KEY)).roles()).containsExactly("admin");
    assertThat(auth.authenticate(request("x", NODE_KEY)).name()).isEqualTo("node-1");
    assertThat(auth.authenticate(request("x", NODE_KEY)).roles()).containsExactly("agent");
    assertThatThrownBy(() -> auth.authenticate(request("x", "wrong-key-0123456789")))
        .isInstanceOf(AuthenticationException.class).hasMessage("unknown API key");
    assertThatThrownBy(() -> AuthenticatorRegistry.getDefault().create("api-keys", Map.of("key.a", "short")))
        .hasMessage("setting key.a must be at least 16 characters");
  }

  @Test
  void embeddedControllerAndAgents_overTcpAndGrpc_ackNackHealth() throws Exception {
    try (EmbeddedController controller = EmbeddedController.start("127.0.0.1", dir, apiKeys());
         EmbeddedAgent tcp = EmbeddedAgent.start("node-1", "payments",
             new InetSocketAddress("127.0.0.1", controller.mcpPort()), false, NODE_KEY, dir.resolve("node-1"));
         EmbeddedAgent grpc = EmbeddedAgent.start("node-2", "payments",
             new InetSocketAddress("127.0.0.1", controller.grpcPort()), true, NODE_KEY + "2", dir.resolve("node-2"))) {
      await(() -> controller.controller().nodes("payments").stream().filter(NodeView::connected).count() == 2);

      RolloutResult good = controller.publish("payments", "limit=5\n".getBytes(StandardCharsets.UTF_8),
          Duration.ofSeconds(10));
      assertThat(good.acked()).containsExactlyInAnyOrder("node-1", "node-2");
      assertThat(tcp.current().getProperty("limit")).isEqualTo("5");
      assertThat(grpc.current().getProperty("limit")).isEqualTo("5");

      RolloutResult bad = controller.publish("payments", "limit: 6\n".getBytes(StandardCharsets.UTF_8),
          Duration.ofSeconds(10));
      assertThat(bad.rejected()).containsOnlyKeys("node-1", "node-2")
          .containsValue("line 1: expected key=value");
      assertThat(tcp.current().getProperty("limit")).isEqualTo("5"); // the last good one stays

      tcp.reportHealthy(3.0);
      await(() -> controller.controller().nodes("payments").stream()
          .anyMatch(n -> n.nodeId().equals("node-1") && n.health() == Health.HEALTHY));
    }
  }

  @Test
  @SuppressWarnings("try") // the two agents only have to run while the rollout happens
  void batchesPolicy_oneNodePerWave_inARealRollout() throws Exception {
    try (EmbeddedController controller = EmbeddedController.start("127.0.0.1", dir, apiKeys());
         EmbeddedAgent a = EmbeddedAgent.start("node-1", "payments",
             new InetSocketAddress("127.0.0.1", controller.mcpPort()), false, NODE_KEY, dir.resolve("a"));
         EmbeddedAgent b = EmbeddedAgent.start("node-2", "payments",
             new InetSocketAddress("127.0.0.1", controller.mcpPort()), false, NODE_KEY + "2", dir.resolve("b"))) {
      await(() -> controller.controller().nodes("payments").stream().filter(NodeView::connected).count() == 2);
      RolloutPolicy batches = Registries.rolloutPolicy("batches", Map.of("size", "1"));
      List<NodeView> nodes = controller.controller().nodes("payments");
      assertThat(batches.waves(nodes)).hasSize(2).allSatisfy(wave -> assertThat(wave).hasSize(1));
      assertThat(batches.name()).isEqualTo("batches(1)");

      long version = controller.controller().apply("payments", "mode=slow".getBytes(StandardCharsets.UTF_8), batches);
      RolloutResult result = controller.controller().awaitRollout("payments", version, RolloutCondition.all(),
          Duration.ofSeconds(10));
      assertThat(result.acked()).containsExactlyInAnyOrder("node-1", "node-2");
      assertThatThrownBy(() -> Registries.rolloutPolicy("batches", Map.of("size", "0")))
          .hasMessage("setting size=0 outside 1..100000");
    }
  }

  @Test
  void seededMemoryStore_startsWithTheDirectorysConfigs() throws Exception {
    Path seeds = Files.createDirectories(dir.resolve("seeds"));
    Files.writeString(seeds.resolve("payments.conf"), "limit=1");
    Files.writeString(seeds.resolve("shipping.conf"), "carrier=dhl");
    Files.writeString(seeds.resolve("README"), "not a seed");
    try (ConfigStore store = StoreConfig.builder().type("seeded-memory").dataDir(seeds).build().open()) {
      assertThat(store.services()).containsExactlyInAnyOrder("payments", "shipping");
      assertThat(StandardCharsets.UTF_8.decode(store.latest("payments").orElseThrow().data()).toString())
          .isEqualTo("limit=1");
    }
    assertThatThrownBy(() -> Registries.openStore("seeded-memory", Map.of()))
        .hasMessage("store seeded-memory needs the setting data-dir");
  }

  static AuthenticationRequest request(String nodeId, String token) {
    return AuthenticationRequest.of(nodeId, "payments", token, Map.of(), List.of(), null);
  }
}
