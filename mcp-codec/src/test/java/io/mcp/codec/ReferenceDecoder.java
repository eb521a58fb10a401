package io.mcp.codec;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Test oracle: parses a whole MCP/1 stream the plainest way, from the rules alone (not from {@link
 * CodecOptions}), so that the incremental {@link FrameDecoder} can be checked against it.
 */
final class ReferenceDecoder {
  /** Every extension command, 0x80..0xFF. */
  static final Set<Integer> ALL_EXTENSIONS =
      IntStream.rangeClosed(Command.MIN_EXTENSION_CODE, Command.MAX_EXTENSION_CODE)
          .boxed()
          .collect(Collectors.toUnmodifiableSet());

  /** The rules a stream is decoded under: length byte order, max payload, accepted extensions. */
  record Rules(ByteOrder byteOrder, int maxPayloadBytes, Set<Integer> extensions) {
    /** These rules as codec options; all extensions are accepted with the bulk setter. */
    CodecOptions options() {
      CodecOptions.Builder builder =
          CodecOptions.builder().byteOrder(byteOrder).maxPayloadBytes(maxPayloadBytes);
      if (extensions.equals(ALL_EXTENSIONS)) {
        builder.acceptAllExtensions();
      } else {
        extensions.forEach(builder::acceptExtension);
      }
      return builder.build();
    }

    /** The command codes a frame may carry under these rules, ascending. */
    List<Integer> commandCodes() {
      Set<Integer> codes = new TreeSet<>(List.of(1, 2, 3, 4));
      codes.addAll(extensions);
      return List.copyOf(codes);
    }

    @Override
    public String toString() {
      String ext = extensions.equals(ALL_EXTENSIONS) ? "all" : new TreeSet<>(extensions).toString();
      return "Rules{" + byteOrder + ", max=" + maxPayloadBytes + ", ext=" + ext + "}";
    }
  }

  private ReferenceDecoder() {}

  /**
   * The frames in {@code stream}; then the error of the first bad header (an unknown command is
   * reported before a length above the max), or else the bytes of the unfinished last frame.
   */
  static Chunking.Outcome decode(byte[] stream, Rules rules) {
    List<Frame> frames = new ArrayList<>();
    int at = 0;
    while (stream.length - at >= FrameEncoder.HEADER_BYTES) {
      long length = 0;
      for (int i = 0; i < 4; i++) {
        int b = stream[at + (rules.byteOrder() == ByteOrder.BIG_ENDIAN ? i : 3 - i)] & 0xFF;
        length = length << 8 | b;
      }
      int code = stream[at + 4] & 0xFF;
      boolean known = (code >= 1 && code <= 4) || rules.extensions().contains(code);
      if (!known) {
        return new Chunking.Outcome(frames, CloseCode.PROTOCOL_ERROR, 0);
      }
      if (length > rules.maxPayloadBytes()) {
        return new Chunking.Outcome(frames, CloseCode.FRAME_TOO_LARGE, 0);
      }
      int payloadStart = at + FrameEncoder.HEADER_BYTES;
      if (stream.length - payloadStart < length) {
        break;
      }
      int payloadEnd = payloadStart + (int) length;
      frames.add(Frame.of(Command.of(code), Arrays.copyOfRange(stream, payloadStart, payloadEnd)));
      at = payloadEnd;
    }
    return new Chunking.Outcome(frames, null, stream.length - at);
  }
}
