package io.mcp.codec;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mcp.codec.Chunking.BufferKind;
import io.mcp.codec.Chunking.Outcome;
import io.mcp.codec.ReferenceDecoder.Rules;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Set;

/**
 * Fuzzes {@link FrameDecoder}: for any bytes, options and cuts only an {@link McpException} escapes,
 * at most max payload + 5 bytes are held, and emitted frames re-encode to exactly their input.
 *
 * <p>Each input is also checked against {@link ReferenceDecoder}. A plain {@code mvn test} replays
 * the seeds in {@code src/test/resources/io/mcp/codec/FrameDecoderFuzzTestInputs/<method name>/}
 * and an empty input; {@code JAZZER_FUZZ=1} fuzzes for real, for {@code maxDuration}. An input is
 * laid out as
 *
 * <pre>
 * byte 0  options   bit 0      length field little-endian
 *                   bit 1      chunk buffers little-endian (the ByteBuffer's own order)
 *                   bits 2-3   max payload: 0 = 4 MiB (default), 1 = 0, 2 = 16, 3 = 1024
 *                   bits 4-5   extensions accepted: 0 = none, 1 = 0x80, 2 = 0xFE, 3 = all
 * byte 1  chunking  bits 0-2   buffer kind, an index into {@link BufferKind} (modulo its size)
 *                   bits 3-7   n: 0 = one chunk, 1 = one byte at a time,
 *                              else chunks of 0..n bytes cut pseudo-randomly
 * byte 2.. the stream
 * </pre>
 *
 * <p>Missing option bytes count as 0.
 */
class FrameDecoderFuzzTest {
  private static final int[] MAX_PAYLOADS = {CodecOptions.DEFAULT_MAX_PAYLOAD_BYTES, 0, 16, 1024};
  private static final BufferKind[] KINDS = BufferKind.values();

  @FuzzTest(maxDuration = "30s")
  void decoder_anyBytesInAnyChunks_framesReencodeExactlyOrMcpException(byte[] input) {
    int options = input.length > 0 ? input[0] & 0xFF : 0;
    int chunking = input.length > 1 ? input[1] & 0xFF : 0;
    byte[] stream = input.length > 2 ? Arrays.copyOfRange(input, 2, input.length) : new byte[0];
    Rules rules = new Rules(
        (options & 1) != 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN,
        MAX_PAYLOADS[(options >>> 2) & 3],
        switch ((options >>> 4) & 3) {
          case 0 -> Set.<Integer>of();
          case 1 -> Set.of(0x80);
          case 2 -> Set.of(0xFE);
          default -> ReferenceDecoder.ALL_EXTENSIONS;
        });
    ByteOrder bufferOrder = (options & 2) != 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    BufferKind kind = KINDS[(chunking & 7) % KINDS.length];
    int n = chunking >>> 3;
    int[] cuts = n == 0 ? Chunking.whole()
        : n == 1 ? Chunking.everyByte(stream.length)
        : Chunking.randomCuts(stream.length, n, options << 8 | chunking);
    CodecOptions codecOptions = rules.options();
    FrameDecoder decoder = FrameDecoder.create(codecOptions);

    // Only an McpException is turned into an outcome; anything else escapes and is a finding.
    Outcome outcome = Chunking.feed(decoder, stream, cuts, kind, bufferOrder);

    FrameEncoder encoder = FrameEncoder.create(codecOptions);
    int consumed = 0;
    for (Frame frame : outcome.frames()) {
      byte[] encoded = encoder.encode(frame);
      check(consumed + encoded.length <= stream.length, "frames re-encode past the input's end");
      byte[] original = Arrays.copyOfRange(stream, consumed, consumed + encoded.length);
      check(Arrays.equals(encoded, original), "frame " + frame + " re-encodes to "
          + FrameCodecPropertiesTest.hex(encoded) + " but was decoded from "
          + FrameCodecPropertiesTest.hex(original));
      consumed += encoded.length;
    }
    if (outcome.error() == null) {
      check(consumed + outcome.bufferedBytes() == stream.length,
          consumed + " bytes of frames and " + outcome.bufferedBytes() + " buffered, of "
              + stream.length);
      check(decoder.isMidFrame() == (outcome.bufferedBytes() > 0), "isMidFrame() disagrees");
      try {
        decoder.endOfStream();
        check(outcome.bufferedBytes() == 0, "end of stream accepted mid-frame");
      } catch (McpException e) {
        check(outcome.bufferedBytes() > 0 && e.closeCode() == CloseCode.PROTOCOL_ERROR,
            "end of stream refused with " + e.closeCode() + " after a whole frame");
      }
    } else {
      check(outcome.error() == CloseCode.PROTOCOL_ERROR
              || outcome.error() == CloseCode.FRAME_TOO_LARGE,
          "decoder failed with " + outcome.error());
      check(stream.length - consumed >= FrameEncoder.HEADER_BYTES,
          "failed with " + outcome.error() + " before a whole header");
    }
    Outcome expected = ReferenceDecoder.decode(stream, rules);
    check(outcome.equals(expected), "decoded " + outcome + ", the reference says " + expected);
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
