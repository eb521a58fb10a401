/**
 * Load drivers for the control plane: the time from a controller's apply to the last agent's ACK
 * across thousands of agents, and the throughput and latency of durable applies on SQLite.
 */
package io.mcp.benchmarks.controlplane;
