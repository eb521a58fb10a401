package io.mcp.core.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Providers of one SPI by name: loaded once through {@link ServiceLoader} (a provider that fails to
 * load is skipped with a log line), more registered by hand, and the higher priority winning a name.
 * Thread-safe.
 *
 * @param <P> the provider type
 */
public final class NamedProviders<P> {
  private static final Logger log = LoggerFactory.getLogger(NamedProviders.class);

  private final String what;
  private final Function<P, String> name;
  private final ToIntFunction<P> priority;
  private final Map<String, P> providers = new HashMap<>();

  public NamedProviders(String what, Function<P, String> name, ToIntFunction<P> priority) {
    this.what = what;
    this.name = name;
    this.priority = priority;
  }

  /** Registers every provider of {@code type} that {@link ServiceLoader} finds. */
  public NamedProviders<P> loadAll(Class<P> type) {
    load(type, what).forEach(this::register);
    return this;
  }

  /** Every provider of {@code type} that {@link ServiceLoader} finds; broken ones skipped with a log line. */
  public static <T> List<T> load(Class<T> type, String what) {
    List<T> loaded = new ArrayList<>();
    var iterator = ServiceLoader.load(type).iterator();
    while (true) {
      try {
        if (!iterator.hasNext()) {
          break;
        }
        loaded.add(iterator.next());
      } catch (ServiceConfigurationError e) {
        log.warn("skipping a {} provider that failed to load: {}", what, e.getMessage());
      }
    }
    return loaded;
  }

  /** Adds {@code provider}; it replaces one of the same name with a lower or equal priority. */
  public synchronized void register(P provider) {
    Objects.requireNonNull(provider, "provider");
    String key = name.apply(provider);
    P existing = providers.get(key);
    if (existing == null || priority.applyAsInt(existing) <= priority.applyAsInt(provider)) {
      providers.put(key, provider);
    }
  }

  public synchronized List<String> names() {
    return new ArrayList<>(new TreeSet<>(providers.keySet()));
  }

  /**
   * The provider named {@code key}.
   *
   * @throws IllegalArgumentException naming the available providers when there is none
   */
  public P get(String key) {
    P provider;
    synchronized (this) {
      provider = providers.get(key);
    }
    if (provider == null) {
      throw new IllegalArgumentException("no " + what + " named \"" + key + "\" (available: " + names() + ")");
    }
    return provider;
  }
}
