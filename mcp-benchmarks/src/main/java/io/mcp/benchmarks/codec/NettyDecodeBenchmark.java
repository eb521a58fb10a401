package io.mcp.benchmarks.codec;

import static io.mcp.benchmarks.codec.CodecFixtures.FRAMES_PER_CHUNK;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.util.Arrays;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Netty's {@link LengthFieldBasedFrameDecoder} splitting the same chunk of {@link
 * CodecFixtures#FRAMES_PER_CHUNK} MCP/1 frames that {@link McpDecodeBenchmark} decodes. The score
 * is frames per second.
 *
 * <pre>
 * lengthFieldOffset 0, lengthFieldLength 4 (big-endian), lengthAdjustment 1, initialBytesToStrip 0
 * +----------------+--------+------------------------+
 * | length (u32)   | cmd u8 | payload (length bytes) |     one emitted frame: all of it
 * +----------------+--------+------------------------+
 * </pre>
 *
 * <p>The length counts the payload only, so an adjustment of 1 adds the command byte; nothing is
 * stripped, and each emitted frame is a retained slice of the chunk (no payload byte copied). To
 * learn what MCP's {@code Frame} already carries, each frame's command byte is read; then the frame
 * goes to a {@link Blackhole} and is released. The maximum frame length is the header plus MCP's
 * default 4 MiB payload limit.
 *
 * <ul>
 *   <li>{@link #decoder}: the handler's protected {@code decode(ctx, in)} called directly until it
 *       returns null, measuring the codec without the pipeline.
 *   <li>{@link #decoderEmbeddedChannel}: the same decoder in an {@link EmbeddedChannel}, fed a
 *       retained duplicate of the whole chunk with {@code writeInbound} and drained with {@code
 *       readInbound}: codec plus pipeline.
 * </ul>
 *
 * <p>{@code allocator} chooses whether the chunk is an unpooled or a pooled heap buffer; from a
 * pooled buffer, Netty recycles the slice objects. See {@link NettyAllocators}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled"})
public class NettyDecodeBenchmark {
  @Param({"64", "1024", "65536"})
  public int payloadBytes;

  @Param({NettyAllocators.UNPOOLED, NettyAllocators.POOLED})
  public String allocator;

  private ExposedDecoder direct;
  private ChannelHandlerContext directContext;
  private EmbeddedChannel directChannel;
  private EmbeddedChannel pipelineChannel;
  private ByteBuf chunk;

  /** The MCP/1 header as {@link LengthFieldBasedFrameDecoder} reads it; see the class comment. */
  static final class ExposedDecoder extends LengthFieldBasedFrameDecoder {
    ExposedDecoder() {
      super(CodecFixtures.MAX_FRAME_BYTES, 0, 4, 1, 0);
    }

    Object decodeFrame(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
      return decode(ctx, in);
    }
  }

  @Setup
  public void setUp() throws Exception {
    ByteBufAllocator alloc = NettyAllocators.create(allocator);
    byte[] bytes = CodecFixtures.chunk(payloadBytes);
    chunk = alloc.heapBuffer(bytes.length, bytes.length).writeBytes(bytes);
    CodecFixtures.check(!chunk.isDirect(), "chunk is direct");

    direct = new ExposedDecoder();
    directChannel = new EmbeddedChannel(direct);
    directChannel.config().setAllocator(alloc);
    directContext = directChannel.pipeline().context(direct);

    pipelineChannel = new EmbeddedChannel(new ExposedDecoder());
    pipelineChannel.config().setAllocator(alloc);

    byte[] expected = CodecFixtures.encodedFrame(payloadBytes);
    ByteBuf first = (ByteBuf) direct.decodeFrame(directContext, chunk.duplicate());
    CodecFixtures.check(
        Arrays.equals(ByteBufUtil.getBytes(first), expected), "decoded frame differs");
    first.release();
    int directFrames = 0;
    chunk.readerIndex(0);
    Object frame;
    while ((frame = direct.decodeFrame(directContext, chunk)) != null) {
      directFrames++;
      ((ByteBuf) frame).release();
    }
    CodecFixtures.check(directFrames == FRAMES_PER_CHUNK, "decoded " + directFrames + " frames");
    pipelineChannel.writeInbound(chunk.retainedDuplicate().readerIndex(0));
    int pipelineFrames = 0;
    ByteBuf buf;
    while ((buf = pipelineChannel.readInbound()) != null) {
      pipelineFrames++;
      buf.release();
    }
    CodecFixtures.check(
        pipelineFrames == FRAMES_PER_CHUNK, "pipeline decoded " + pipelineFrames + " frames");
    CodecFixtures.check(chunk.refCnt() == 1, "chunk refCnt " + chunk.refCnt());
  }

  @TearDown
  public void tearDown() {
    directChannel.finishAndReleaseAll();
    pipelineChannel.finishAndReleaseAll();
    chunk.release();
  }

  /** Calls the decoder's {@code decode(ctx, in)} until the chunk holds no further frame. */
  @Benchmark
  @OperationsPerInvocation(FRAMES_PER_CHUNK)
  public void decoder(Blackhole bh) throws Exception {
    ByteBuf in = chunk;
    in.readerIndex(0);
    Object frame;
    while ((frame = direct.decodeFrame(directContext, in)) != null) {
      ByteBuf buf = (ByteBuf) frame;
      bh.consume(buf.getUnsignedByte(4));
      bh.consume(buf);
      buf.release();
    }
  }

  /** Feeds the chunk through an {@link EmbeddedChannel} and drains the decoded frames. */
  @Benchmark
  @OperationsPerInvocation(FRAMES_PER_CHUNK)
  public void decoderEmbeddedChannel(Blackhole bh) {
    pipelineChannel.writeInbound(chunk.retainedDuplicate().readerIndex(0));
    ByteBuf buf;
    while ((buf = pipelineChannel.readInbound()) != null) {
      bh.consume(buf.getUnsignedByte(4));
      bh.consume(buf);
      buf.release();
    }
  }
}
