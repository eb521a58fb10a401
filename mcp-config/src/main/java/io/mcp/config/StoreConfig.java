package io.mcp.config;

import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.Registries;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The configuration store (section {@code store}): a {@link io.mcp.core.spi.ConfigStoreProvider}
 * by name ({@code sqlite}, {@code memory}, {@code etcd}, or a plugin's), its data directory and its
 * provider-specific options. Build with {@link #builder()}; immutable and thread-safe.
 *
 * @param type the provider name
 * @param dataDir where a store that keeps files keeps them (not passed to {@code memory})
 * @param options further provider settings, for example {@code history-limit}
 */
public record StoreConfig(String type, Path dataDir, Map<String, String> options) {
  /** The in-memory store, which keeps no files. */
  public static final String MEMORY = "memory";

  /** Copies the options. */
  public StoreConfig {
    Objects.requireNonNull(type, "type");
    options = Map.copyOf(options);
  }

  /** The settings given to the provider: the options, plus {@code data-dir} unless the type is memory. */
  public Map<String, String> settings() {
    Map<String, String> settings = new LinkedHashMap<>(options);
    if (dataDir != null && !type.equals(MEMORY)) {
      settings.put("data-dir", dataDir.toString());
    }
    return settings;
  }

  /**
   * Opens the store through {@link Registries#openStore(String, Map)}.
   *
   * @throws IllegalArgumentException naming the available stores, or the invalid setting
   * @throws io.mcp.core.spi.StoreException if the store cannot be opened
   */
  public ConfigStore open() {
    return Registries.openStore(type, settings());
  }

  /** A builder with the defaults (sqlite under {@code data}). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    Builder b = new Builder().type(type).dataDir(dataDir);
    b.options.putAll(options);
    return b;
  }

  /** Builds {@link StoreConfig}. Not thread-safe. */
  public static final class Builder {
    private String type = "sqlite";
    private Path dataDir = Path.of("data");
    private final Map<String, String> options = new LinkedHashMap<>();

    private Builder() {}

    /** Default sqlite. */
    public Builder type(String v) { this.type = v; return this; }
    /** Default {@code data} (relative to the working directory). */
    public Builder dataDir(Path v) { this.dataDir = v; return this; }

    /** Adds a provider option. */
    public Builder option(String key, String value) {
      options.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** The configuration; it is checked by {@link McpServerConfig#validate()}. */
    public StoreConfig build() {
      return new StoreConfig(type, dataDir, options);
    }
  }
}
