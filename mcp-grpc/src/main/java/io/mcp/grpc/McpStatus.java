package io.mcp.grpc;

import io.grpc.Status;
import io.mcp.codec.CloseCode;
import io.mcp.codec.McpException;

/**
 * The one mapping between MCP close codes and gRPC status codes, so that an error means the same
 * thing on both transports.
 *
 * <pre>
 * CloseCode            Status.Code
 * NORMAL               OK
 * PROTOCOL_ERROR       INVALID_ARGUMENT
 * FRAME_TOO_LARGE      RESOURCE_EXHAUSTED
 * UNAUTHENTICATED      UNAUTHENTICATED
 * UNSUPPORTED_VERSION  UNIMPLEMENTED
 * HANDSHAKE_TIMEOUT    DEADLINE_EXCEEDED
 * IDLE_TIMEOUT         UNAVAILABLE
 * GOING_AWAY           UNAVAILABLE
 * TOO_MANY_PINGS       RESOURCE_EXHAUSTED
 * OVERLOADED           RESOURCE_EXHAUSTED
 * INTERNAL_ERROR       INTERNAL
 * SLOW_CONSUMER        RESOURCE_EXHAUSTED
 * 12..999, 1000+       UNKNOWN
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class McpStatus {
  private McpStatus() {}

  /** The gRPC status code for an MCP close code. */
  public static Status.Code toCode(CloseCode code) {
    switch (code.value()) {
      case 0:
        return Status.Code.OK;
      case 1:
        return Status.Code.INVALID_ARGUMENT;
      case 2:
      case 8:
      case 9:
      case 11:
        return Status.Code.RESOURCE_EXHAUSTED;
      case 3:
        return Status.Code.UNAUTHENTICATED;
      case 4:
        return Status.Code.UNIMPLEMENTED;
      case 5:
        return Status.Code.DEADLINE_EXCEEDED;
      case 6:
      case 7:
        return Status.Code.UNAVAILABLE;
      case 10:
        return Status.Code.INTERNAL;
      default:
        return Status.Code.UNKNOWN;
    }
  }

  /** The gRPC status for {@code e}: its code mapped, its message kept, {@code e} as the cause. */
  public static Status toStatus(McpException e) {
    return Status.fromCode(toCode(e.closeCode()))
        .withDescription(e.closeCode().name() + ": " + e.getMessage())
        .withCause(e);
  }
}
