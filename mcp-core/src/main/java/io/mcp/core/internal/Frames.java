package io.mcp.core.internal;

import io.mcp.codec.Command;
import io.mcp.codec.FrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Encodes frames straight into Netty buffers. Stateless. */
public final class Frames {
  private Frames() {}

  /** Header and payload in one new buffer. */
  public static ByteBuf encode(ByteBufAllocator alloc, ByteOrder order, Command command, ByteBuffer payload) {
    int length = payload.remaining();
    ByteBuf buf = alloc.ioBuffer(FrameEncoder.HEADER_BYTES + length);
    writeHeader(buf, order, command, length);
    buf.writeBytes(payload.duplicate());
    return buf;
  }

  /** Header and payload in one new buffer. */
  public static ByteBuf encode(ByteBufAllocator alloc, ByteOrder order, Command command, byte[] payload) {
    ByteBuf buf = alloc.ioBuffer(FrameEncoder.HEADER_BYTES + payload.length);
    writeHeader(buf, order, command, payload.length);
    buf.writeBytes(payload);
    return buf;
  }

  /** A DATA frame carrying {@code envelope}, in one new buffer. */
  public static ByteBuf encodeEnvelope(ByteBufAllocator alloc, ByteOrder order, io.mcp.codec.Envelope envelope) {
    int length = envelope.encodedLength();
    int head = envelope.headLength();
    ByteBuf frame = alloc.ioBuffer(FrameEncoder.HEADER_BYTES + length);
    writeHeader(frame, order, Command.DATA, length);
    envelope.encodeHead(frame.nioBuffer(frame.writerIndex(), head));
    frame.writerIndex(frame.writerIndex() + head);
    frame.writeBytes(envelope.body());
    return frame;
  }

  /** Writes the 5-byte header. */
  public static void writeHeader(ByteBuf buf, ByteOrder order, Command command, int length) {
    if (order == ByteOrder.BIG_ENDIAN) {
      buf.writeInt(length);
    } else {
      buf.writeIntLE(length);
    }
    buf.writeByte(command.code());
  }
}
