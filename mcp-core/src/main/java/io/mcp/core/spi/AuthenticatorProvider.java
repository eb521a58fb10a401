package io.mcp.core.spi;

import java.util.Map;

/**
 * Creates {@link Authenticator}s by name from string settings, so that configuration files can pick
 * one. Registered in {@code META-INF/services/io.mcp.core.spi.AuthenticatorProvider}.
 *
 * <p>Implementations must be thread-safe and have a public no-argument constructor.
 */
public interface AuthenticatorProvider {
  /** The name settings refer to, for example {@code jwt}. */
  String name();

  /** Higher wins when two providers share a name. Default 0. */
  default int priority() {
    return 0;
  }

  /**
   * Creates an authenticator from settings.
   *
   * @throws IllegalArgumentException naming the setting that is missing or invalid
   */
  Authenticator create(Map<String, String> settings);
}
