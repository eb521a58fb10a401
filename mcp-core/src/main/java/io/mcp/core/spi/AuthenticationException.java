package io.mcp.core.spi;

import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;

/**
 * Thrown by an {@link Authenticator} that rejects a peer. Its message becomes the reason of the
 * CLOSE(UNAUTHENTICATED) the peer receives, so it must never contain the credential itself.
 */
public final class AuthenticationException extends McpException {
  private static final long serialVersionUID = 1L;

  /** Creates a rejection with a reason safe to show the peer. */
  public AuthenticationException(String reason) {
    super(CloseCode.UNAUTHENTICATED, reason);
  }

  /** Creates a rejection with a reason safe to show the peer, and the cause (logged, not sent). */
  public AuthenticationException(String reason, Throwable cause) {
    super(CloseCode.UNAUTHENTICATED, reason, cause);
  }
}
