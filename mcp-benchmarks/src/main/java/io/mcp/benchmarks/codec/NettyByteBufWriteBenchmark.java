package io.mcp.benchmarks.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Writing one MCP/1 frame (length, command, payload copied) into a reused unpooled heap {@link
 * ByteBuf}, one frame per operation: what the body of a Netty {@code MessageToByteEncoder} for MCP
 * frames would do with the buffer it is handed. Not a Netty codec, but Netty's copy path, and so
 * the Netty counterpart of {@code McpEncodeBenchmark.encode}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class NettyByteBufWriteBenchmark {
  @Param({"64", "1024", "65536"})
  public int payloadBytes;

  private ByteBuf payload;
  private ByteBuf dst;

  @Setup
  public void setUp() {
    payload = Unpooled.wrappedBuffer(CodecFixtures.payload(payloadBytes));
    int frameBytes = CodecFixtures.frameBytes(payloadBytes);
    dst = Unpooled.buffer(frameBytes, frameBytes);
    write();
    CodecFixtures.check(
        Arrays.equals(ByteBufUtil.getBytes(dst), CodecFixtures.encodedFrame(payloadBytes)),
        "written frame differs");
  }

  @TearDown
  public void tearDown() {
    payload.release();
    dst.release();
  }

  /** Writes header and payload into the reused buffer. */
  @Benchmark
  public ByteBuf write() {
    ByteBuf payload = this.payload;
    ByteBuf dst = this.dst;
    int length = payload.readableBytes();
    dst.clear();
    dst.writeInt(length);
    dst.writeByte(CodecFixtures.COMMAND.code());
    dst.writeBytes(payload, payload.readerIndex(), length);
    return dst;
  }
}
