package io.mcp.grpc;

import io.grpc.Context;
import io.mcp.core.Identity;

/** The identity the authentication interceptor established for the current gRPC call. */
public final class GrpcIdentity {
  static final Context.Key<Identity> KEY = Context.key("mcp-identity");

  private GrpcIdentity() {}

  /** The caller's identity, or {@code null} for calls that need none (health, reflection, Connect). */
  public static Identity current() {
    return KEY.get();
  }
}
