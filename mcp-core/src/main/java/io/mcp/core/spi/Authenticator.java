package io.mcp.core.spi;

import io.mcp.core.Identity;

/**
 * Decides who a connecting peer is. Called once per handshake, after the Hello has been validated
 * and before the Welcome is sent.
 *
 * <p>Built-in implementations are in {@link io.mcp.core.auth.Authenticators}: a shared static
 * token, JWT bearer tokens, mutual-TLS certificate identity, and allow-all. Others are plugged in
 * through the builder, or by name through {@link AuthenticatorProvider} and {@link
 * AuthenticatorRegistry}.
 *
 * <p>Implementations are called on network threads, concurrently for different sessions: they must
 * be thread-safe and must not block (no remote calls; verify locally).
 */
public interface Authenticator {
  /**
   * Returns the peer's identity.
   *
   * @throws AuthenticationException to reject the peer; its message is sent in the CLOSE reason and
   *     must not contain the credential
   */
  Identity authenticate(AuthenticationRequest request);

  /** A short name for logs, for example {@code static-token}. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** Whether this authenticator accepts every peer; the server logs a warning when it starts with one. */
  default boolean allowsAll() {
    return false;
  }
}
