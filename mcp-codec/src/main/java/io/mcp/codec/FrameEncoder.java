package io.mcp.codec;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Encodes MCP/1 frames.
 *
 * <pre>
 * +----------------+--------+------------------------+
 * | length (u32)   | cmd u8 | payload (length bytes) |
 * +----------------+--------+------------------------+
 *   4 bytes          1 byte
 * </pre>
 *
 * <p>{@code length} counts payload bytes only; it is written in the options' byte order
 * (big-endian by default). A frame whose payload exceeds {@link CodecOptions#maxPayloadBytes()} is
 * refused with {@link CloseCode#FRAME_TOO_LARGE}: a sender never writes what its own limits would
 * reject.
 *
 * <p>Three forms: into the caller's buffer ({@link #encode(Frame, ByteBuffer)}), into a new array
 * ({@link #encode(Frame)}), and gathering ({@link #encodeGathering(Frame)}: a 5-byte header buffer
 * plus a view of the caller's payload, nothing copied) for transports that write vectors.
 *
 * <p>An encoder holds no mutable state and is safe to share between threads.
 */
public final class FrameEncoder {
  /** Bytes of the frame header: u32 length and u8 command. */
  public static final int HEADER_BYTES = 5;

  private static final FrameEncoder DEFAULT = new FrameEncoder(CodecOptions.defaults());

  private final CodecOptions options;
  private final boolean bigEndian;
  private final int maxPayloadBytes;

  private FrameEncoder(CodecOptions options) {
    this.options = options;
    this.bigEndian = options.byteOrder() == ByteOrder.BIG_ENDIAN;
    this.maxPayloadBytes = options.maxPayloadBytes();
  }

  /** An encoder with {@link CodecOptions#defaults()}. */
  public static FrameEncoder create() {
    return DEFAULT;
  }

  /** An encoder with the given options. */
  public static FrameEncoder create(CodecOptions options) {
    return new FrameEncoder(Objects.requireNonNull(options, "options"));
  }

  /** The options this encoder applies. */
  public CodecOptions options() {
    return options;
  }

  /** Header plus payload bytes of {@code frame}. */
  public int encodedLength(Frame frame) {
    return HEADER_BYTES + frame.payload.remaining();
  }

  /**
   * Writes the 5-byte header for a payload of {@code payloadLength} bytes at {@code dst}'s position
   * and advances it. {@code dst}'s own byte order is neither used nor changed.
   *
   * @throws McpException FRAME_TOO_LARGE if {@code payloadLength} exceeds the maximum
   * @throws BufferOverflowException if fewer than 5 bytes remain (nothing is written)
   */
  public void writeHeader(Command command, int payloadLength, ByteBuffer dst) {
    checkLength(payloadLength);
    if (dst.remaining() < HEADER_BYTES) {
      throw new BufferOverflowException();
    }
    int wire = bigEndian == (dst.order() == ByteOrder.BIG_ENDIAN)
        ? payloadLength
        : Integer.reverseBytes(payloadLength);
    dst.putInt(wire);
    dst.put((byte) command.code());
  }

  /**
   * Writes {@code frame} (header and payload) at {@code dst}'s position and advances it. The
   * frame's payload is not consumed.
   *
   * @throws McpException FRAME_TOO_LARGE if the payload exceeds the maximum
   * @throws BufferOverflowException if {@code dst} has less room than {@link #encodedLength(Frame)}
   *     (nothing is written)
   */
  public void encode(Frame frame, ByteBuffer dst) {
    ByteBuffer payload = frame.payload;
    int length = payload.remaining();
    if (dst.remaining() < HEADER_BYTES + length) {
      checkLength(length);
      throw new BufferOverflowException();
    }
    if (dst.hasArray() && payload.hasArray()) {
      // Heap to heap: header bytes straight into the array, payload by System.arraycopy (JDK 17's
      // ByteBuffer bulk put between heap buffers takes a slower generic path for small copies).
      checkLength(length);
      byte[] out = dst.array();
      int at = dst.arrayOffset() + dst.position();
      int wire = bigEndian ? length : Integer.reverseBytes(length);
      out[at] = (byte) (wire >>> 24);
      out[at + 1] = (byte) (wire >>> 16);
      out[at + 2] = (byte) (wire >>> 8);
      out[at + 3] = (byte) wire;
      out[at + 4] = (byte) frame.command.code();
      System.arraycopy(payload.array(), payload.arrayOffset() + payload.position(), out, at + HEADER_BYTES, length);
      dst.position(dst.position() + HEADER_BYTES + length);
      return;
    }
    writeHeader(frame.command, length, dst);
    dst.put(dst.position(), payload, payload.position(), length);
    dst.position(dst.position() + length);
  }

  /** {@code frame} encoded into a new array. */
  public byte[] encode(Frame frame) {
    byte[] out = new byte[encodedLength(frame)];
    encode(frame, ByteBuffer.wrap(out));
    return out;
  }

  /** {@code frame}'s 5-byte header in a new buffer ready to read. */
  public ByteBuffer header(Frame frame) {
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
    writeHeader(frame.command, frame.payload.remaining(), header);
    return header.flip();
  }

  /**
   * The gathering form: {@code [header, payload]}, where the payload buffer is a view of the frame's
   * own bytes (no copy). Write both in order, for example with {@code
   * GatheringByteChannel.write(ByteBuffer[])}.
   */
  public ByteBuffer[] encodeGathering(Frame frame) {
    return new ByteBuffer[] {header(frame), frame.payload.duplicate()};
  }

  private void checkLength(int payloadLength) {
    if (payloadLength < 0 || payloadLength > maxPayloadBytes) {
      throw new McpException(
          CloseCode.FRAME_TOO_LARGE,
          "payload length " + Integer.toUnsignedLong(payloadLength) + " exceeds max " + maxPayloadBytes);
    }
  }
}
