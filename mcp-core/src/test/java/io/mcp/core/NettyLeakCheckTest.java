package io.mcp.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** Proves the leak check can fail: a buffer dropped without release is reported. */
class NettyLeakCheckTest {
  @Test
  void droppedBuffer_isReportedByTheLeakCheck() {
    NettyLeakCheck.collect(); // start clean
    leakOne();

    var leaks = NettyLeakCheck.collect();

    assertThat(leaks).anySatisfy(l -> assertThat(l).contains("LEAK"));
  }

  private static void leakOne() {
    ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(16);
    leaked.writeInt(42);
  }
}
