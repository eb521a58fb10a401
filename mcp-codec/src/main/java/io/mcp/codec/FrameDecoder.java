package io.mcp.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Incremental MCP/1 frame decoder: give it the bytes of a stream in chunks of any size and it emits
 * each frame once it is complete.
 *
 * <pre>
 * +----------------+--------+------------------------+
 * | length (u32)   | cmd u8 | payload (length bytes) |
 * +----------------+--------+------------------------+
 * </pre>
 *
 * <p>Rules, checked from the 5-byte header alone before anything is allocated for the payload:
 *
 * <ol>
 *   <li>the command must be 1..4, or an extension command the options accept, else {@link
 *       CloseCode#PROTOCOL_ERROR};
 *   <li>the declared length, an unsigned 32-bit value (so {@code 0xFFFFFFFF} is 4,294,967,295),
 *       must not exceed {@link CodecOptions#maxPayloadBytes()}, else {@link
 *       CloseCode#FRAME_TOO_LARGE}.
 * </ol>
 *
 * <p>A frame that lies whole inside one chunk gets a payload that is a slice of that chunk: no copy.
 * A frame split across chunks is assembled in one array of exactly its payload length, so the
 * decoder never holds more than {@code maxPayloadBytes + 5} bytes.
 *
 * <p>Errors are {@link McpException}s. Frames before the bad header in the same chunk are still
 * emitted. After an error the decoder is failed: every later call throws, since the connection is to
 * be closed.
 *
 * <p>A decoder belongs to one stream and is not thread-safe.
 */
public final class FrameDecoder {
  private static final int HEADER_BYTES = FrameEncoder.HEADER_BYTES;

  private final CodecOptions options;
  private final boolean bigEndian;
  private final long maxPayloadBytes;

  private final byte[] header = new byte[HEADER_BYTES];
  private int headerFill;

  private Command partialCommand;
  private byte[] partial;
  private int partialFill;

  private McpException failure;

  private FrameDecoder(CodecOptions options) {
    this.options = options;
    this.bigEndian = options.byteOrder() == ByteOrder.BIG_ENDIAN;
    this.maxPayloadBytes = options.maxPayloadBytes();
  }

  /** A decoder with {@link CodecOptions#defaults()}. */
  public static FrameDecoder create() {
    return new FrameDecoder(CodecOptions.defaults());
  }

  /** A decoder with the given options. */
  public static FrameDecoder create(CodecOptions options) {
    return new FrameDecoder(Objects.requireNonNull(options, "options"));
  }

  /** The options this decoder applies. */
  public CodecOptions options() {
    return options;
  }

  /**
   * Consumes all of {@code chunk}'s remaining bytes and passes every frame completed by them to
   * {@code sink}, in stream order. Frames may share memory with {@code chunk}: do not overwrite it
   * while they are in use.
   *
   * @throws McpException if the stream breaks a rule; the decoder is failed from then on
   */
  public void decode(ByteBuffer chunk, Consumer<? super Frame> sink) {
    checkNotFailed();
    while (chunk.hasRemaining()) {
      if (partial != null) {
        int n = Math.min(partial.length - partialFill, chunk.remaining());
        chunk.get(partial, partialFill, n);
        partialFill += n;
        if (partialFill < partial.length) {
          return;
        }
        Frame frame = Frame.wrap(partialCommand, ByteBuffer.wrap(partial));
        partial = null;
        partialCommand = null;
        sink.accept(frame);
        continue;
      }

      long length;
      int code;
      if (headerFill == 0 && chunk.remaining() >= HEADER_BYTES) {
        int p = chunk.position();
        int raw = chunk.getInt(p);
        if (bigEndian != (chunk.order() == ByteOrder.BIG_ENDIAN)) {
          raw = Integer.reverseBytes(raw);
        }
        length = Integer.toUnsignedLong(raw);
        code = chunk.get(p + 4) & 0xFF;
        chunk.position(p + HEADER_BYTES);
      } else {
        int n = Math.min(HEADER_BYTES - headerFill, chunk.remaining());
        chunk.get(header, headerFill, n);
        headerFill += n;
        if (headerFill < HEADER_BYTES) {
          return;
        }
        headerFill = 0;
        length = readLength(header);
        code = header[4] & 0xFF;
      }

      Command command = checkHeader(length, code);
      int len = (int) length;
      if (chunk.remaining() >= len) {
        int p = chunk.position();
        ByteBuffer payload = chunk.slice(p, len);
        chunk.position(p + len);
        sink.accept(Frame.wrap(command, payload));
      } else {
        partialCommand = command;
        partial = new byte[len];
        partialFill = 0;
      }
    }
  }

  /**
   * Convenience form of {@link #decode(ByteBuffer, Consumer)} that collects the frames. If the chunk
   * breaks a rule, the exception is thrown and the frames before the bad header are lost with the
   * list; use the sink form to receive them.
   */
  public List<Frame> decode(ByteBuffer chunk) {
    List<Frame> frames = new ArrayList<>();
    decode(chunk, frames::add);
    return frames;
  }

  /**
   * Applies the header rules to a header read elsewhere (a transport that parses headers itself uses
   * this so that its rules are exactly these) and returns the command. Does not fail this decoder.
   *
   * @param declaredLength the length field as an unsigned value, 0..4,294,967,295
   * @param commandCode the command byte as an unsigned value, 0..255
   * @throws McpException PROTOCOL_ERROR for an unknown or unaccepted command, FRAME_TOO_LARGE for
   *     a length above the maximum
   */
  public Command validateHeader(long declaredLength, int commandCode) {
    Command command = Command.lookup(commandCode);
    if (command == null) {
      throw new McpException(
          CloseCode.PROTOCOL_ERROR,
          "unknown command " + formatCode(commandCode) + " (allowed: 0x01..0x04 and registered"
              + " extensions " + formatCode(Command.MIN_EXTENSION_CODE) + ".."
              + formatCode(Command.MAX_EXTENSION_CODE) + ")");
    }
    if (command.isExtension() && !options.acceptsExtension(commandCode)) {
      throw new McpException(
          CloseCode.PROTOCOL_ERROR,
          "extension command " + formatCode(commandCode) + " is not registered (registered: "
              + options.acceptedExtensionsText() + ")");
    }
    if (declaredLength > maxPayloadBytes || declaredLength < 0) {
      throw new McpException(
          CloseCode.FRAME_TOO_LARGE,
          "declared length " + declaredLength + " exceeds max " + maxPayloadBytes);
    }
    return command;
  }

  /**
   * Whether the decoder holds part of a frame (some header bytes, or a header and part of its
   * payload). A stream that ends while this is true ended mid-frame.
   */
  public boolean isMidFrame() {
    return headerFill > 0 || partial != null;
  }

  /** Bytes of an unfinished frame held by the decoder (header bytes and payload bytes). */
  public int bufferedBytes() {
    return partial != null ? HEADER_BYTES + partialFill : headerFill;
  }

  /**
   * Bytes the decoder holds allocated for unfinished frames: its 5-byte header buffer, plus the
   * payload array of a frame split across chunks, which is exactly that frame's declared length.
   * Never more than {@code maxPayloadBytes + 5}, whatever the input: the payload array is allocated
   * only after the header passed its checks.
   */
  public int reservedBytes() {
    return HEADER_BYTES + (partial != null ? partial.length : 0);
  }

  /**
   * Signals the end of the stream.
   *
   * @throws McpException PROTOCOL_ERROR if the stream ended mid-frame
   */
  public void endOfStream() {
    checkNotFailed();
    if (isMidFrame()) {
      throw fail(new McpException(
          CloseCode.PROTOCOL_ERROR,
          "stream ended mid-frame after " + bufferedBytes() + " bytes of "
              + (partial != null ? HEADER_BYTES + partial.length : HEADER_BYTES)));
    }
  }

  /** Whether an earlier error failed this decoder. */
  public boolean isFailed() {
    return failure != null;
  }

  private Command checkHeader(long length, int code) {
    try {
      return validateHeader(length, code);
    } catch (McpException e) {
      throw fail(e);
    }
  }

  private long readLength(byte[] h) {
    int raw = bigEndian
        ? (h[0] & 0xFF) << 24 | (h[1] & 0xFF) << 16 | (h[2] & 0xFF) << 8 | (h[3] & 0xFF)
        : (h[3] & 0xFF) << 24 | (h[2] & 0xFF) << 16 | (h[1] & 0xFF) << 8 | (h[0] & 0xFF);
    return Integer.toUnsignedLong(raw);
  }

  private McpException fail(McpException e) {
    failure = e;
    partial = null;
    headerFill = 0;
    return e;
  }

  private void checkNotFailed() {
    if (failure != null) {
      throw new McpException(
          failure.closeCode(), "decoder failed earlier: " + failure.getMessage(), failure);
    }
  }

  private static String formatCode(int code) {
    return String.format("0x%02X", code);
  }
}
