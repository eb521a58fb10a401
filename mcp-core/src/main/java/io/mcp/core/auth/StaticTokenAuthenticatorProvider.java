package io.mcp.core.auth;

import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorProvider;
import java.util.Map;
import java.util.Set;

/**
 * {@code static-token}: {@link Authenticators#staticToken(String)}. Setting: {@code token}
 * (required, never echoed in errors). Thread-safe.
 */
public final class StaticTokenAuthenticatorProvider implements AuthenticatorProvider {
  static final String NAME = "static-token";

  /** For {@link java.util.ServiceLoader}. */
  public StaticTokenAuthenticatorProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Authenticator create(Map<String, String> settings) {
    Settings s = Settings.of(NAME, settings, Set.of("token"));
    return Authenticators.staticToken(s.required("token"));
  }
}
