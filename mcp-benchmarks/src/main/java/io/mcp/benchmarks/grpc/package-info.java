/** Load drivers for the ControlPlane gRPC API and for agents over gRPC, each beside its baseline. */
package io.mcp.benchmarks.grpc;
