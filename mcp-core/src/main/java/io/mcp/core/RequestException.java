package io.mcp.core;

import io.mcp.codec.CloseCode;
import io.mcp.codec.ErrorCode;
import io.mcp.codec.McpException;
import java.util.Objects;

/**
 * A request failed: the responder answered ERROR, or the call failed locally (deadline, overload,
 * session lost). {@link #errorCode()} is the truth callers branch on. Handlers throw it to answer
 * with a chosen code.
 *
 * <p>The inherited {@link #closeCode()} only indicates the nearest close code (OVERLOADED,
 * UNAUTHENTICATED, GOING_AWAY for UNAVAILABLE, INTERNAL_ERROR otherwise): a failed request never
 * closes its session by itself.
 */
public final class RequestException extends McpException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode errorCode;

  /** A failure with {@code code} and a message. */
  public RequestException(ErrorCode code, String message) {
    super(nearestCloseCode(code), message);
    this.errorCode = Objects.requireNonNull(code, "code");
  }

  /** A failure with {@code code}, a message and a cause. */
  public RequestException(ErrorCode code, String message, Throwable cause) {
    super(nearestCloseCode(code), message, cause);
    this.errorCode = Objects.requireNonNull(code, "code");
  }

  /** The error code. */
  public ErrorCode errorCode() {
    return errorCode;
  }

  private static CloseCode nearestCloseCode(ErrorCode code) {
    if (code.equals(ErrorCode.OVERLOADED)) {
      return CloseCode.OVERLOADED;
    }
    if (code.equals(ErrorCode.UNAUTHENTICATED)) {
      return CloseCode.UNAUTHENTICATED;
    }
    if (code.equals(ErrorCode.UNAVAILABLE)) {
      return CloseCode.GOING_AWAY;
    }
    return CloseCode.INTERNAL_ERROR;
  }

  @Override
  public String toString() {
    return getClass().getName() + ": " + errorCode + ": " + getMessage();
  }
}
