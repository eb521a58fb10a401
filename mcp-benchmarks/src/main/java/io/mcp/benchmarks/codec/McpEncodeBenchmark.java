package io.mcp.benchmarks.codec;

import io.mcp.codec.Frame;
import io.mcp.codec.FrameEncoder;
import java.nio.ByteBuffer;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding one MCP/1 frame with {@link FrameEncoder}, one frame per operation.
 *
 * <ul>
 *   <li>{@link #encode()}: header and payload copied into a reused heap {@link ByteBuffer}, the
 *       path a transport takes when it writes from its own buffer. Compared with {@link
 *       ArrayCopyBenchmark} (the memory-copy limit) and {@link NettyByteBufWriteBenchmark}.
 *   <li>{@link #encodeGathering()}: a new 5-byte header plus a view of the payload, nothing copied.
 *       Compared with Netty's {@code LengthFieldPrepender} in {@link NettyEncodeBenchmark}, which
 *       also leaves the payload where it is.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class McpEncodeBenchmark {
  @Param({"64", "1024", "65536"})
  public int payloadBytes;

  private final FrameEncoder encoder = FrameEncoder.create();
  private Frame frame;
  private ByteBuffer dst;

  @Setup
  public void setUp() {
    frame = CodecFixtures.frame(payloadBytes);
    dst = ByteBuffer.allocate(CodecFixtures.frameBytes(payloadBytes));
    encode();
    CodecFixtures.check(
        Arrays.equals(dst.array(), CodecFixtures.encodedFrame(payloadBytes)), "encode output differs");
  }

  /** Copies the frame into the reused buffer. */
  @Benchmark
  public ByteBuffer encode() {
    ByteBuffer dst = this.dst;
    dst.clear();
    encoder.encode(frame, dst);
    return dst;
  }

  /** Builds the header buffer and the payload view. */
  @Benchmark
  public ByteBuffer[] encodeGathering() {
    return encoder.encodeGathering(frame);
  }
}
