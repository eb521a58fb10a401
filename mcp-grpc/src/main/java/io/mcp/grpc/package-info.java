/** The ControlPlane gRPC service and MCP sessions carried over gRPC streams. */
package io.mcp.grpc;
