/**
 * A load driver that holds thousands of idle MCP/1 sessions with heartbeats and measures their heap,
 * RSS and handshake rate beside a bare Netty server holding the same connections.
 */
package io.mcp.benchmarks.sessions;
