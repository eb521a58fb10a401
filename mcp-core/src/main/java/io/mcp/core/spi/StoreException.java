package io.mcp.core.spi;

import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;

/** A {@link ConfigStore} could not do what was asked; nothing was half-done. */
public final class StoreException extends McpException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(CloseCode.INTERNAL_ERROR, message, cause);
  }

  public StoreException(String message) {
    super(CloseCode.INTERNAL_ERROR, message);
  }
}
