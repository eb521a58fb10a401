package io.mcp.core.internal;

import io.mcp.codec.CodecOptions;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameDecoder;
import io.mcp.codec.FrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * MCP/1 frames in and out of an {@link EmbeddedChannel} whose clock the test drives: the peer's
 * side of the session tests that run a handler without a socket.
 */
final class EmbeddedFrames {
  private final EmbeddedChannel channel;
  /** Decodes what the handler wrote; one per channel, since a write may end mid-frame. */
  private final FrameDecoder outbound = FrameDecoder.create(CodecOptions.defaults());

  EmbeddedFrames(EmbeddedChannel channel) {
    this.channel = channel;
  }

  /** Feeds one encoded frame to the handler as one read. */
  void inbound(Frame frame) {
    channel.writeInbound(Unpooled.wrappedBuffer(FrameEncoder.create().encode(frame)));
  }

  /** Frames the handler wrote since the last call, decoded (copies; the buffers are released). */
  List<Frame> written() {
    List<Frame> frames = new ArrayList<>();
    ByteBuf buf;
    while ((buf = channel.readOutbound()) != null) {
      try {
        outbound.decode(buf.nioBuffer(), f -> frames.add(f.copy()));
      } finally {
        buf.release();
      }
    }
    return frames;
  }

  /** Advances the frozen clock; tasks due within the step run seeing the clock at its end. */
  void advance(long millis) {
    channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
    channel.runPendingTasks();
  }
}
