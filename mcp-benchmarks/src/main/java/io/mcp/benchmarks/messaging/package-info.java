/**
 * The messaging load driver: one-way throughput and request/response latency of MCP sessions,
 * measured in the same run as a plain Netty length-field baseline.
 */
package io.mcp.benchmarks.messaging;
