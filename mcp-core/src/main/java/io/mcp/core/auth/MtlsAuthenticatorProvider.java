package io.mcp.core.auth;

import io.mcp.core.spi.Authenticator;
import io.mcp.core.spi.AuthenticatorProvider;
import java.util.Map;
import java.util.Set;

/**
 * {@code mtls}: a {@link MtlsAuthenticator}. Setting: {@code roles-from-ou} (optional {@code
 * true|false}, default false: roles are the subject's OU values). Thread-safe.
 */
public final class MtlsAuthenticatorProvider implements AuthenticatorProvider {
  static final String NAME = "mtls";

  /** For {@link java.util.ServiceLoader}. */
  public MtlsAuthenticatorProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Authenticator create(Map<String, String> settings) {
    Settings s = Settings.of(NAME, settings, Set.of("roles-from-ou"));
    return s.flag("roles-from-ou", false)
        ? MtlsAuthenticator.rolesFromOrganizationalUnits()
        : MtlsAuthenticator.create();
  }
}
