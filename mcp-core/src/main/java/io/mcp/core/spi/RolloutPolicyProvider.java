package io.mcp.core.spi;

import java.util.Map;

/**
 * Creates {@link RolloutPolicy} instances by name from string settings (configuration files, the
 * command line). Registered in {@code META-INF/services/io.mcp.core.spi.RolloutPolicyProvider}.
 * Built-ins: {@code all-at-once}, {@code canary} (settings {@code percent} or {@code labels}
 * {@code k=v,k2=v2}, {@code bake-ms}); every built-in also takes {@code rollback-threshold} (0..1).
 *
 * <p>Implementations must be thread-safe and have a public no-argument constructor.
 */
public interface RolloutPolicyProvider {
  String name();

  default int priority() {
    return 0;
  }

  /**
   * @throws IllegalArgumentException naming the setting that is missing or invalid
   */
  RolloutPolicy create(Map<String, String> settings);
}
