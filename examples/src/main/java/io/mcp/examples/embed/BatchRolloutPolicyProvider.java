package io.mcp.examples.embed;

import io.mcp.core.NodeView;
import io.mcp.core.spi.RolloutPolicy;
import io.mcp.core.spi.RolloutPolicyProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A rollout policy plugin, {@code batches}: waves of {@code size} nodes (default 1, one node at a
 * time), {@code bake-ms} apart (default 0); the rollout stops at the first rejection.
 *
 * <p>Registered in {@code META-INF/services/io.mcp.core.spi.RolloutPolicyProvider}; select it by
 * name, for example over gRPC ({@code rollout_policy: "batches"}) or with {@code
 * Registries.rolloutPolicy("batches", Map.of("size", "2"))}. Thread-safe.
 */
public final class BatchRolloutPolicyProvider implements RolloutPolicyProvider {
  /** For {@link java.util.ServiceLoader}. */
  public BatchRolloutPolicyProvider() {}

  @Override
  public String name() {
    return "batches";
  }

  @Override
  public RolloutPolicy create(Map<String, String> settings) {
    for (String key : settings.keySet()) {
      if (!key.equals("size") && !key.equals("bake-ms")) {
        throw new IllegalArgumentException("unknown setting " + key + " for rollout policy batches (known: bake-ms, size)");
      }
    }
    int size = (int) number(settings, "size", 1, 1, 100_000);
    Duration bake = Duration.ofMillis(number(settings, "bake-ms", 0, 0, Duration.ofHours(24).toMillis()));
    return new RolloutPolicy() {
      @Override
      public String name() {
        return "batches(" + size + ")";
      }

      @Override
      public List<List<NodeView>> waves(List<NodeView> targets) {
        List<List<NodeView>> waves = new ArrayList<>();
        for (int i = 0; i < targets.size(); i += size) {
          waves.add(List.copyOf(targets.subList(i, Math.min(targets.size(), i + size))));
        }
        return waves;
      }

      @Override
      public Duration bakeTime() {
        return bake;
      }
    };
  }

  private static long number(Map<String, String> settings, String key, long fallback, long min, long max) {
    String value = settings.get(key);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    long parsed;
    try {
      parsed = Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("setting " + key + "=\"" + value + "\" is not a whole number");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException("setting " + key + "=" + parsed + " outside " + min + ".." + max);
    }
    return parsed;
  }
}
