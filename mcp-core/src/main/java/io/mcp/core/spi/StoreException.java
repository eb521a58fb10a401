package io.mcp.core.spi;

import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;

/**
 * A {@link ConfigStore} could not do what was asked. Unless {@link #outcomeUnknown()} says
 * otherwise, nothing was half-done.
 *
 * <p>Its close code is INTERNAL_ERROR, or GOING_AWAY when the store's backend is unreachable
 * ({@link #unavailable}): gRPC callers then see UNAVAILABLE and may retry elsewhere or later.
 */
public final class StoreException extends McpException {
  private static final long serialVersionUID = 1L;

  private final boolean outcomeUnknown;

  public StoreException(String message, Throwable cause) {
    super(CloseCode.INTERNAL_ERROR, message, cause);
    this.outcomeUnknown = false;
  }

  public StoreException(String message) {
    super(CloseCode.INTERNAL_ERROR, message);
    this.outcomeUnknown = false;
  }

  private StoreException(CloseCode code, String message, Throwable cause, boolean outcomeUnknown) {
    super(code, message, cause);
    this.outcomeUnknown = outcomeUnknown;
  }

  /**
   * The store's backend (a database server, a cluster without quorum) cannot be reached now; the
   * close code is GOING_AWAY (gRPC UNAVAILABLE).
   *
   * @param outcomeUnknown true when a write was sent but its commit could not be confirmed: it may
   *     have been stored, and a watch then delivers it once the backend is back
   */
  public static StoreException unavailable(String message, Throwable cause, boolean outcomeUnknown) {
    return new StoreException(CloseCode.GOING_AWAY, message, cause, outcomeUnknown);
  }

  /** Whether the backend was unreachable (see {@link #unavailable}). */
  public boolean isUnavailable() {
    return closeCode().equals(CloseCode.GOING_AWAY);
  }

  /** Whether a write may have been committed although this was thrown. */
  public boolean outcomeUnknown() {
    return outcomeUnknown;
  }
}
