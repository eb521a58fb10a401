package io.mcp.benchmarks.codec;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;

/**
 * The two Netty heap allocators the Netty benchmarks run with, named by their {@code @Param}
 * value. Both hand out heap buffers only, as MCP's codec works on heap {@code ByteBuffer}s here.
 *
 * <p>Stateless; safe to use from any thread.
 */
final class NettyAllocators {
  /** {@code @Param} value: a new heap buffer for every allocation, reclaimed by the GC. */
  static final String UNPOOLED = "unpooled";
  /** {@code @Param} value: heap buffers from a pool with a per-thread cache; slices are recycled. */
  static final String POOLED = "pooled";

  private NettyAllocators() {}

  /** A fresh allocator of the kind {@code name} names, preferring heap buffers. */
  static ByteBufAllocator create(String name) {
    switch (name) {
      case UNPOOLED:
        return new UnpooledByteBufAllocator(false);
      case POOLED:
        return new PooledByteBufAllocator(false);
      default:
        throw new IllegalArgumentException("allocator " + name + " (expected unpooled or pooled)");
    }
  }
}
