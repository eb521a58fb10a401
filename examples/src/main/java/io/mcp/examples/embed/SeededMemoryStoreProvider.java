package io.mcp.examples.embed;

import io.mcp.core.InMemoryConfigStore;
import io.mcp.core.spi.ConfigStore;
import io.mcp.core.spi.ConfigStoreProvider;
import io.mcp.core.spi.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A config store plugin, {@code seeded-memory}: an in-memory store that starts with version 1 of
 * every service found in a directory ({@code payments.conf} seeds service {@code payments}). For
 * test and demo environments that should come up with known configuration. Setting: {@code
 * data-dir}, the directory (required).
 *
 * <p>Registered in {@code META-INF/services/io.mcp.core.spi.ConfigStoreProvider}, so {@code
 * store.type: seeded-memory} selects it from a configuration file. Thread-safe.
 */
public final class SeededMemoryStoreProvider implements ConfigStoreProvider {
  /** For {@link java.util.ServiceLoader}. */
  public SeededMemoryStoreProvider() {}

  @Override
  public String name() {
    return "seeded-memory";
  }

  @Override
  public ConfigStore open(Map<String, String> settings) {
    for (String key : settings.keySet()) {
      if (!key.equals("data-dir")) {
        throw new IllegalArgumentException("unknown setting " + key + " for store seeded-memory (known: data-dir)");
      }
    }
    String dir = settings.get("data-dir");
    if (dir == null || dir.isBlank()) {
      throw new IllegalArgumentException("store seeded-memory needs the setting data-dir");
    }
    Path directory = Path.of(dir);
    List<Path> files;
    try (Stream<Path> listing = Files.list(directory)) {
      files = listing.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(".conf"))
          .sorted().toList();
    } catch (IOException e) {
      throw new StoreException("cannot list seed directory " + directory + ": " + e.getMessage(), e);
    }
    InMemoryConfigStore store = new InMemoryConfigStore();
    for (Path file : files) {
      String name = file.getFileName().toString();
      try {
        store.append(name.substring(0, name.length() - ".conf".length()), Files.readAllBytes(file));
      } catch (IOException e) {
        throw new StoreException("cannot read seed file " + file + ": " + e.getMessage(), e);
      }
    }
    return store;
  }
}
