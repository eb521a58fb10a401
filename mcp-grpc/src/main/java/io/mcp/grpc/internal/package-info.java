/** The gRPC stream to MCP/1 session bridge and helpers; no compatibility promise. */
package io.mcp.grpc.internal;
