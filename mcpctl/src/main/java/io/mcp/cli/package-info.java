/** {@code mcpctl}: the command-line client of a controller's ControlPlane gRPC API. */
package io.mcp.cli;
