package io.mcp.core.spi;

import io.mcp.core.internal.NamedProviders;
import java.util.List;
import java.util.Map;

/**
 * The registries of {@link RolloutPolicyProvider}s and {@link ConfigStoreProvider}s found by
 * {@link java.util.ServiceLoader}, loaded once. Thread-safe.
 */
public final class Registries {
  private static final class Holder {
    static final NamedProviders<RolloutPolicyProvider> POLICIES =
        new NamedProviders<>("rollout policy", RolloutPolicyProvider::name, RolloutPolicyProvider::priority)
            .loadAll(RolloutPolicyProvider.class);
    static final NamedProviders<ConfigStoreProvider> STORES =
        new NamedProviders<>("config store", ConfigStoreProvider::name, ConfigStoreProvider::priority)
            .loadAll(ConfigStoreProvider.class);
  }

  private Registries() {}

  /**
   * A rollout policy by provider name.
   *
   * @throws IllegalArgumentException naming the available policies, or the invalid setting
   */
  public static RolloutPolicy rolloutPolicy(String name, Map<String, String> settings) {
    return Holder.POLICIES.get(name).create(settings);
  }

  public static List<String> rolloutPolicyNames() {
    return Holder.POLICIES.names();
  }

  /** Adds a rollout policy provider (for tests and embedding). */
  public static void register(RolloutPolicyProvider provider) {
    Holder.POLICIES.register(provider);
  }

  /**
   * Opens a config store by provider name.
   *
   * @throws IllegalArgumentException naming the available stores, or the invalid setting
   */
  public static ConfigStore openStore(String name, Map<String, String> settings) {
    return Holder.STORES.get(name).open(settings);
  }

  public static List<String> storeNames() {
    return Holder.STORES.names();
  }

  /** Adds a config store provider (for tests and embedding). */
  public static void register(ConfigStoreProvider provider) {
    Holder.STORES.register(provider);
  }
}
