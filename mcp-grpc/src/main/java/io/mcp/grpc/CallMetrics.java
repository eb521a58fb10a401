package io.mcp.grpc;

import io.grpc.Status;

/**
 * A hook for metrics: told about every finished ControlPlane call. Implementations must be
 * thread-safe and fast (they run on gRPC threads).
 */
@FunctionalInterface
public interface CallMetrics {
  /** {@code method} (full name) finished with {@code code} after {@code nanos}. */
  void onCall(String method, Status.Code code, long nanos);

  static CallMetrics none() {
    return (method, code, nanos) -> {};
  }
}
