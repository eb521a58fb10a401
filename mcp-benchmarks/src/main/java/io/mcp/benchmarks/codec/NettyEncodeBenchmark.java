package io.mcp.benchmarks.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldPrepender;
import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Netty's {@link LengthFieldPrepender} framing one MCP/1 frame, one frame per operation: the
 * message is a heap {@link ByteBuf} holding the command byte and the payload, and the prepender
 * emits a new 4-byte length buffer (from the channel's allocator) plus the retained message, so,
 * like {@code McpEncodeBenchmark.encodeGathering}, it copies no payload byte. Both output buffers
 * are released after each operation.
 *
 * <ul>
 *   <li>{@link #prepender}: the handler's protected {@code encode} called directly, measuring the
 *       codec without the pipeline.
 *   <li>{@link #prependerEmbeddedChannel}: the same handler in an {@link EmbeddedChannel}, written
 *       with {@code writeOutbound} and drained with {@code readOutbound}: codec plus pipeline.
 * </ul>
 *
 * <p>{@code allocator} chooses unpooled or pooled heap buffers for the length buffer; see {@link
 * NettyAllocators}. Compared with {@link McpEncodeBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class NettyEncodeBenchmark {
  @Param({"64", "1024", "65536"})
  public int payloadBytes;

  @Param({NettyAllocators.UNPOOLED, NettyAllocators.POOLED})
  public String allocator;

  private final List<Object> out = new ArrayList<>(2);
  private ExposedPrepender direct;
  private ChannelHandlerContext directContext;
  private EmbeddedChannel directChannel;
  private EmbeddedChannel pipelineChannel;
  private ByteBuf message;

  /**
   * The MCP/1 header as {@link LengthFieldPrepender} writes it: a 4-byte big-endian length that
   * counts the payload only, so the adjustment of -1 takes the command byte back out.
   */
  static final class ExposedPrepender extends LengthFieldPrepender {
    ExposedPrepender() {
      super(4, -1);
    }

    void encodeFrame(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) throws Exception {
      encode(ctx, msg, out);
    }
  }

  @Setup
  public void setUp() throws Exception {
    ByteBufAllocator alloc = NettyAllocators.create(allocator);
    byte[] payload = CodecFixtures.payload(payloadBytes);
    message = alloc.heapBuffer(1 + payloadBytes, 1 + payloadBytes)
        .writeByte(CodecFixtures.COMMAND.code())
        .writeBytes(payload);

    direct = new ExposedPrepender();
    directChannel = new EmbeddedChannel(direct);
    directChannel.config().setAllocator(alloc);
    directContext = directChannel.pipeline().context(direct);

    pipelineChannel = new EmbeddedChannel(new ExposedPrepender());
    pipelineChannel.config().setAllocator(alloc);

    direct.encodeFrame(directContext, message, out);
    ByteBuf length = (ByteBuf) out.get(0);
    CodecFixtures.check(
        out.size() == 2 && length.readableBytes() == 4 && length.getInt(0) == payloadBytes,
        "prepender wrote " + out);
    CodecFixtures.check(!length.isDirect(), "length buffer is direct");
    releaseOut();
    CodecFixtures.check(message.refCnt() == 1, "message refCnt " + message.refCnt());
  }

  @TearDown
  public void tearDown() {
    directChannel.finishAndReleaseAll();
    pipelineChannel.finishAndReleaseAll();
    message.release();
  }

  /** Calls the prepender's {@code encode} directly and releases what it emitted. */
  @Benchmark
  public void prepender(Blackhole bh) throws Exception {
    direct.encodeFrame(directContext, message, out);
    bh.consume(out.get(0));
    bh.consume(out.get(1));
    releaseOut();
  }

  /** Writes the frame through an {@link EmbeddedChannel} and releases both outbound buffers. */
  @Benchmark
  public void prependerEmbeddedChannel(Blackhole bh) {
    pipelineChannel.writeOutbound(message.retain());
    ByteBuf length = pipelineChannel.readOutbound();
    ByteBuf body = pipelineChannel.readOutbound();
    bh.consume(length);
    bh.consume(body);
    length.release();
    body.release();
  }

  private void releaseOut() {
    for (int i = 0; i < out.size(); i++) {
      ((ByteBuf) out.get(i)).release();
    }
    out.clear();
  }
}
