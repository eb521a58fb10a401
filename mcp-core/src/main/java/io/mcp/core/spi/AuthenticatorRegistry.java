package io.mcp.core.spi;

import io.mcp.core.internal.NamedProviders;
import java.util.List;
import java.util.Map;

/**
 * The {@link AuthenticatorProvider}s found by {@link java.util.ServiceLoader}, plus any registered by
 * hand. A provider that fails to load is skipped with a log line; when two share a name the higher
 * {@link AuthenticatorProvider#priority()} wins.
 *
 * <p>Thread-safe.
 */
public final class AuthenticatorRegistry {
  private static volatile AuthenticatorRegistry defaultRegistry;

  private final NamedProviders<AuthenticatorProvider> providers =
      new NamedProviders<>("authenticator", AuthenticatorProvider::name, AuthenticatorProvider::priority);

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
          registry.providers.loadAll(AuthenticatorProvider.class);
          defaultRegistry = registry;
        }
      }
    }
    return registry;
  }

  /** Adds {@code provider}; it replaces a provider of the same name with a lower or equal priority. */
  public AuthenticatorRegistry register(AuthenticatorProvider provider) {
    providers.register(provider);
    return this;
  }

  /** The names of the registered providers, sorted. */
  public List<String> names() {
    return providers.names();
  }

  /**
   * Creates the authenticator named {@code name} from {@code settings}.
   *
   * @throws IllegalArgumentException if no provider has that name, or the settings are invalid
   */
  public Authenticator create(String name, Map<String, String> settings) {
    return providers.get(name).create(settings);
  }
}
