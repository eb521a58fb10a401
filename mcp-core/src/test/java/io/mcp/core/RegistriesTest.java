package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.Registries;
import io.mcp.core.spi.RolloutPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rollout policies and stores chosen by name, as configuration files and command lines do. */
class RegistriesTest {
  static NodeView node(String id, Map<String, String> labels) {
    return new NodeView(id, java.util.Set.of("s"), labels, "tcp", "", true, Map.of(), Map.of(), Health.UNKNOWN,
        Map.of(), java.time.Instant.EPOCH, java.util.Optional.empty());
  }

  @Test
  void builtInNames_foundThroughServiceLoader() {
    assertThat(Registries.rolloutPolicyNames()).contains("all-at-once", "canary");
    assertThat(Registries.storeNames()).contains("memory");
  }

  @Test
  void canaryByPercent_fromSettings() {
    RolloutPolicy policy = Registries.rolloutPolicy("canary", Map.of("percent", "10%", "bake-ms", "250"));

    List<List<NodeView>> waves = policy.waves(List.of(node("a", Map.of()), node("b", Map.of()), node("c", Map.of())));

    assertThat(policy.name()).isEqualTo("canary(10%)");
    assertThat(policy.bakeTime()).isEqualTo(Duration.ofMillis(250));
    assertThat(waves).hasSize(2);
    assertThat(waves.get(0)).extracting(NodeView::nodeId).containsExactly("a");
  }

  @Test
  void canaryByLabels_withAutoRollback() {
    RolloutPolicy policy = Registries.rolloutPolicy("canary",
        Map.of("labels", "zone=eu-1,tier=canary", "rollback-threshold", "0.2"));

    List<List<NodeView>> waves = policy.waves(List.of(node("a", Map.of("zone", "eu-1")),
        node("b", Map.of("zone", "eu-1", "tier", "canary")), node("c", Map.of())));

    assertThat(waves.get(0)).extracting(NodeView::nodeId).containsExactly("b");
    assertThat(policy.rollbackThreshold()).isEqualTo(0.2);
  }

  @Test
  void badSettings_namedInTheError() {
    assertThatThrownBy(() -> Registries.rolloutPolicy("canary", Map.of("percent", "150")))
        .hasMessage("setting percent=150 outside 1..100");
    assertThatThrownBy(() -> Registries.rolloutPolicy("canary", Map.of("percnt", "10")))
        .hasMessageStartingWith("unknown setting percnt (known: ");
    assertThatThrownBy(() -> Registries.rolloutPolicy("all-at-once", Map.of("rollback-threshold", "1.5")))
        .hasMessage("setting rollback-threshold=1.5 outside [0, 1)");
    assertThatThrownBy(() -> Registries.rolloutPolicy("blue-green", Map.of()))
        .hasMessageStartingWith("no rollout policy named \"blue-green\" (available: [all-at-once, canary");
  }

  @Test
  void memoryStore_openedByName() {
    try (ConfigStore store = Registries.openStore("memory", Map.of("history-limit", "2"))) {
      store.append("s", new byte[] {1});
      store.append("s", new byte[] {2});
      store.append("s", new byte[] {3});

      assertThat(store.history("s", 10)).extracting(v -> v.version()).containsExactly(3L, 2L);
    }
  }
}
