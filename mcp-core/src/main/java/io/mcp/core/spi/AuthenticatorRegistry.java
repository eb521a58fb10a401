package io.mcp.core.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link AuthenticatorProvider}s found by {@link ServiceLoader}, plus any registered by hand.
 * A provider that fails to load is skipped with a log line; when two share a name the higher
 * {@link AuthenticatorProvider#priority()} wins.
 *
 * <p>Thread-safe.
 */
public final class AuthenticatorRegistry {
  private static final Logger log = LoggerFactory.getLogger(AuthenticatorRegistry.class);
  private static volatile AuthenticatorRegistry defaultRegistry;

  private final Map<String, AuthenticatorProvider> providers = new HashMap<>();

  /** An empty registry (for tests and for embedding without ServiceLoader). */
  public AuthenticatorRegistry() {}

  /** The registry of every provider on the class path, loaded once. */
  public static AuthenticatorRegistry getDefault() {
    AuthenticatorRegistry registry = defaultRegistry;
    if (registry == null) {
      synchronized (AuthenticatorRegistry.class) {
        registry = defaultRegistry;
        if (registry == null) {
          registry = new AuthenticatorRegistry();
          for (AuthenticatorProvider provider : load()) {
            registry.register(provider);
          }
          defaultRegistry = registry;
        }
      }
    }
    return registry;
  }

  private static List<AuthenticatorProvider> load() {
    List<AuthenticatorProvider> loaded = new ArrayList<>();
    var iterator = ServiceLoader.load(AuthenticatorProvider.class).iterator();
    while (true) {
      try {
        if (!iterator.hasNext()) {
          break;
        }
        loaded.add(iterator.next());
      } catch (ServiceConfigurationError e) {
        log.warn("skipping an authenticator provider that failed to load: {}", e.getMessage());
      }
    }
    loaded.sort(Comparator.comparingInt(AuthenticatorProvider::priority));
    return loaded;
  }

  /** Adds {@code provider}; it replaces a provider of the same name with a lower or equal priority. */
  public synchronized AuthenticatorRegistry register(AuthenticatorProvider provider) {
    Objects.requireNonNull(provider, "provider");
    AuthenticatorProvider existing = providers.get(provider.name());
    if (existing == null || existing.priority() <= provider.priority()) {
      providers.put(provider.name(), provider);
    }
    return this;
  }

  /** The names of the registered providers, sorted. */
  public synchronized List<String> names() {
    return new ArrayList<>(new TreeSet<>(providers.keySet()));
  }

  /**
   * Creates the authenticator named {@code name} from {@code settings}.
   *
   * @throws IllegalArgumentException if no provider has that name, or the settings are invalid
   */
  public Authenticator create(String name, Map<String, String> settings) {
    AuthenticatorProvider provider;
    synchronized (this) {
      provider = providers.get(name);
    }
    if (provider == null) {
      throw new IllegalArgumentException(
          "no authenticator named \"" + name + "\" (available: " + names() + ")");
    }
    return provider.create(settings);
  }
}
