/**
 * JMH benchmarks of the MCP/1 frame codec, run beside Netty, Jackson and {@code System.arraycopy}
 * doing the same work on the same frames.
 */
package io.mcp.benchmarks.codec;
