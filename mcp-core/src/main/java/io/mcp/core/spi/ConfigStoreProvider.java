package io.mcp.core.spi;

import java.util.Map;

/**
 * Opens {@link ConfigStore}s by name from string settings (configuration files, command lines).
 * Registered in {@code META-INF/services/io.mcp.core.spi.ConfigStoreProvider}. Built-in: {@code
 * memory} (setting {@code history-limit}); store modules add theirs ({@code sqlite}, {@code etcd}).
 *
 * <p>Implementations must be thread-safe and have a public no-argument constructor.
 */
public interface ConfigStoreProvider {
  String name();

  default int priority() {
    return 0;
  }

  /**
   * @throws IllegalArgumentException naming the setting that is missing or invalid
   * @throws StoreException if the store cannot be opened
   */
  ConfigStore open(Map<String, String> settings);
}
