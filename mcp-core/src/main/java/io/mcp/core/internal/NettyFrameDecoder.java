package io.mcp.core.internal;

import io.mcp.codec.Command;
import io.mcp.codec.FrameDecoder;
import io.mcp.codec.FrameEncoder;
import io.mcp.codec.McpException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The Netty adapter of the MCP/1 codec: reads 5-byte headers, applies exactly the codec's header
 * rules ({@link FrameDecoder#validateHeader}) before the payload has arrived, and emits {@link
 * InboundFrame}s whose payloads are retained slices of the inbound buffer (no copy).
 *
 * <p>Until {@link #ready()} the smaller pre-handshake limit applies. On a rule violation it emits a
 * {@link DecodeFailure} after the frames before it, then discards every further byte, so the
 * session can close gracefully while the input is drained. Confined to the channel's event loop.
 */
final class NettyFrameDecoder extends ByteToMessageDecoder {
  private static final int HEADER_BYTES = FrameEncoder.HEADER_BYTES;

  private final boolean bigEndian;
  private final FrameDecoder readyRules;
  private FrameDecoder rules;
  private boolean discarding;

  NettyFrameDecoder(SessionConfig config) {
    this.bigEndian = config.codecOptions.byteOrder() == ByteOrder.BIG_ENDIAN;
    this.readyRules = config.readyRules;
    this.rules = config.handshakeRules;
  }

  /** The handshake is done: the full payload limit and the extension commands apply. */
  void ready() {
    rules = readyRules;
  }

  /** Drop every byte from now on (the session is closing). */
  void discardFurther() {
    discarding = true;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (discarding) {
      in.skipBytes(in.readableBytes());
      return;
    }
    while (in.readableBytes() >= HEADER_BYTES) {
      int index = in.readerIndex();
      long length = bigEndian ? in.getUnsignedInt(index) : in.getUnsignedIntLE(index);
      int code = in.getUnsignedByte(index + 4);
      Command command;
      try {
        command = rules.validateHeader(length, code);
      } catch (McpException e) {
        discarding = true;
        in.skipBytes(in.readableBytes());
        out.add(new DecodeFailure(e));
        return;
      }
      if (in.readableBytes() - HEADER_BYTES < length) {
        return;
      }
      in.skipBytes(HEADER_BYTES);
      out.add(new InboundFrame(command, in.readRetainedSlice((int) length)));
    }
  }

  /** Bytes of an unfinished frame held in the cumulation buffer. */
  int bufferedBytes() {
    return actualReadableBytes();
  }
}
