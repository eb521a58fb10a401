package io.mcp.benchmarks.grpc;

import io.mcp.benchmarks.Machine;

/** {@link Machine#describe()} plus the grpc-java version, for the gRPC reports. Stateless. */
final class MachineFacts {
  private MachineFacts() {}

  /** Cores, CPU model, JVM, OS, grpc-java. */
  static String describe() {
    return Machine.describe() + ", grpc-java " + grpcVersion();
  }

  private static String grpcVersion() {
    Package grpc = io.grpc.ManagedChannel.class.getPackage();
    String version = grpc == null ? null : grpc.getImplementationVersion();
    return version == null ? "(version not in the manifest)" : version;
  }
}
