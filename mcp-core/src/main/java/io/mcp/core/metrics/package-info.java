/** Micrometer metrics for MCP (optional dependency): {@link io.mcp.core.metrics.McpMetrics}. */
package io.mcp.core.metrics;
