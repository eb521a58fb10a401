package io.mcp.core.auth;

import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorProvider;
import java.util.Map;
import java.util.Set;

/**
 * {@code allow-all}: {@link Authenticators#allowAll()}, for development only; a server started with
 * it logs a warning. No settings. Thread-safe.
 */
public final class AllowAllAuthenticatorProvider implements AuthenticatorProvider {
  static final String NAME = "allow-all";

  /** For {@link java.util.ServiceLoader}. */
  public AllowAllAuthenticatorProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Authenticator create(Map<String, String> settings) {
    Settings.of(NAME, settings, Set.of());
    return Authenticators.allowAll();
  }
}
