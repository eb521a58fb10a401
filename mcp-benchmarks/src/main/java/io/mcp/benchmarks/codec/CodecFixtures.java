package io.mcp.benchmarks.codec;

import io.mcp.codec.CodecOptions;
import io.mcp.codec.Command;
import io.mcp.codec.Frame;
import io.mcp.codec.FrameEncoder;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * The inputs every codec benchmark shares, so that each one works on the same bytes: a DATA frame
 * with a pseudo-random payload of a given size, and a chunk of {@link #FRAMES_PER_CHUNK} such
 * frames encoded back to back.
 *
 * <p>Stateless; safe to use from any thread.
 */
final class CodecFixtures {
  /**
   * Frames in one decoded chunk. A compile-time constant because it is also the value of every
   * decode benchmark's {@code @OperationsPerInvocation}, which makes their scores frames per second.
   */
  static final int FRAMES_PER_CHUNK = 64;

  /** The largest MCP/1 frame the default options allow: header plus 4 MiB of payload. */
  static final int MAX_FRAME_BYTES = FrameEncoder.HEADER_BYTES + CodecOptions.DEFAULT_MAX_PAYLOAD_BYTES;

  /** The command every benchmark frame carries. */
  static final Command COMMAND = Command.DATA;

  private static final long SEED = 0x4d4350L;

  private CodecFixtures() {}

  /** {@code payloadBytes} pseudo-random bytes, the same for the same size. */
  static byte[] payload(int payloadBytes) {
    byte[] payload = new byte[payloadBytes];
    new Random(SEED).nextBytes(payload);
    return payload;
  }

  /** A DATA frame carrying {@link #payload(int)}. */
  static Frame frame(int payloadBytes) {
    return Frame.of(COMMAND, payload(payloadBytes));
  }

  /** Header plus payload bytes of one encoded frame. */
  static int frameBytes(int payloadBytes) {
    return FrameEncoder.HEADER_BYTES + payloadBytes;
  }

  /** One encoded frame: {@code length:u32 (big-endian) cmd:u8 payload}. */
  static byte[] encodedFrame(int payloadBytes) {
    return FrameEncoder.create().encode(frame(payloadBytes));
  }

  /** {@link #FRAMES_PER_CHUNK} encoded frames back to back, as a transport would read them. */
  static byte[] chunk(int payloadBytes) {
    FrameEncoder encoder = FrameEncoder.create();
    Frame frame = frame(payloadBytes);
    ByteBuffer chunk = ByteBuffer.allocate(FRAMES_PER_CHUNK * frameBytes(payloadBytes));
    for (int i = 0; i < FRAMES_PER_CHUNK; i++) {
      encoder.encode(frame, chunk);
    }
    if (chunk.hasRemaining()) {
      throw new AssertionError("chunk not filled: " + chunk);
    }
    return chunk.array();
  }

  /** Throws unless {@code condition} holds; checks a benchmark's setup before anything is timed. */
  static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException("benchmark setup is wrong: " + message);
    }
  }
}
