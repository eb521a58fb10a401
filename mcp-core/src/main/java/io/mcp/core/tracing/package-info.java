/** OpenTelemetry tracing for MCP rollouts (optional dependency): {@link io.mcp.core.tracing.McpTracing}. */
package io.mcp.core.tracing;
