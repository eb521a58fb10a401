package io.mcp.core.internal;

import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.RolloutPolicies;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigStoreProvider;
import io.mcp.core.spi.RolloutPolicy;
import io.mcp.core.spi.RolloutPolicyProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The rollout policies and the store that mcp-core registers through ServiceLoader. */
public final class BuiltInProviders {
  private BuiltInProviders() {}

  static String setting(Map<String, String> settings, String key, String fallback) {
    String value = settings.get(key);
    return value == null || value.isBlank() ? fallback : value.strip();
  }

  static long number(Map<String, String> settings, String key, long fallback, long min, long max) {
    String value = settings.get(key);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    long parsed;
    try {
      parsed = Long.parseLong(value.strip().replace("%", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("setting " + key + "=\"" + value + "\" is not a whole number");
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException("setting " + key + "=" + parsed + " outside " + min + ".." + max);
    }
    return parsed;
  }

  static RolloutPolicy withRollback(RolloutPolicy policy, Map<String, String> settings) {
    String threshold = settings.get("rollback-threshold");
    if (threshold == null || threshold.isBlank()) {
      return policy;
    }
    double value;
    try {
      value = Double.parseDouble(threshold.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("setting rollback-threshold=\"" + threshold + "\" is not a number");
    }
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException("setting rollback-threshold=" + value + " outside [0, 1)");
    }
    return RolloutPolicies.withAutoRollback(policy, value);
  }

  /** {@code all-at-once}. */
  public static final class AllAtOnce implements RolloutPolicyProvider {
    @Override
    public String name() {
      return "all-at-once";
    }

    @Override
    public RolloutPolicy create(Map<String, String> settings) {
      unknown(settings, Set.of("rollback-threshold"));
      return withRollback(RolloutPolicies.allAtOnce(), settings);
    }
  }

  /** {@code canary}: {@code percent} or {@code labels}, {@code bake-ms}. */
  public static final class Canary implements RolloutPolicyProvider {
    @Override
    public String name() {
      return "canary";
    }

    @Override
    public RolloutPolicy create(Map<String, String> settings) {
      unknown(settings, Set.of("percent", "labels", "bake-ms", "rollback-threshold"));
      Duration bake = Duration.ofMillis(number(settings, "bake-ms", 0, 0, Long.MAX_VALUE / 1_000_000));
      String labels = setting(settings, "labels", "");
      if (!labels.isEmpty()) {
        if (settings.containsKey("percent")) {
          throw new IllegalArgumentException("settings percent and labels exclude each other");
        }
        Map<String, String> selector = new LinkedHashMap<>();
        for (String pair : labels.split(",")) {
          int eq = pair.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("setting labels: \"" + pair + "\" is not key=value");
          }
          selector.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return withRollback(RolloutPolicies.canaryLabels(selector, bake), settings);
      }
      int percent = (int) number(settings, "percent", 10, 1, 100);
      return withRollback(RolloutPolicies.canaryPercent(percent, bake), settings);
    }
  }

  /** {@code memory}: {@code history-limit}. */
  public static final class Memory implements ConfigStoreProvider {
    @Override
    public String name() {
      return "memory";
    }

    @Override
    public ConfigStore open(Map<String, String> settings) {
      unknown(settings, Set.of("history-limit"));
      return new InMemoryConfigStore((int) number(settings, "history-limit", 100, 1, Integer.MAX_VALUE),
          Clock.systemUTC());
    }
  }

  static void unknown(Map<String, String> settings, Set<String> known) {
    for (String key : settings.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException("unknown setting " + key + " (known: " + new java.util.TreeSet<>(known) + ")");
      }
    }
  }
}
