package io.mcp.benchmarks.codec;

import static io.mcp.benchmarks.codec.CodecFixtures.FRAMES_PER_CHUNK;

import io.mcp.codec.Frame;
import io.mcp.codec.FrameDecoder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Decoding a chunk of {@link CodecFixtures#FRAMES_PER_CHUNK} whole MCP/1 frames with {@link
 * FrameDecoder}; each invocation decodes the same heap chunk again through a fresh {@code
 * duplicate()}, and every frame goes to a {@link Blackhole}. The score is frames per second.
 *
 * <p>Each frame's payload is a slice of the chunk, so no payload byte is read or copied. Compared
 * with Netty's {@code LengthFieldBasedFrameDecoder} splitting the same bytes in {@link
 * NettyDecodeBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class McpDecodeBenchmark {
  @Param({"64", "1024", "65536"})
  public int payloadBytes;

  private final FrameDecoder decoder = FrameDecoder.create();
  private ByteBuffer chunk;

  @Setup
  public void setUp() {
    chunk = ByteBuffer.wrap(CodecFixtures.chunk(payloadBytes));
    List<Frame> frames = decoder.decode(chunk.duplicate());
    CodecFixtures.check(frames.size() == FRAMES_PER_CHUNK, "decoded " + frames.size() + " frames");
    CodecFixtures.check(
        frames.get(0).equals(CodecFixtures.frame(payloadBytes)), "decoded frame differs");
    CodecFixtures.check(!decoder.isMidFrame(), "decoder left mid-frame");
  }

  /** Decodes the chunk's frames into the blackhole. */
  @Benchmark
  @OperationsPerInvocation(FRAMES_PER_CHUNK)
  public void decode(Blackhole bh) {
    decoder.decode(chunk.duplicate(), bh::consume);
  }
}
