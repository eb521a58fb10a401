package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.codec.Chunking.Outcome;
import io.mcp.codec.Chunking.Result;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoder's behaviour on hand-written input. Besides what each test checks with the input as
 * it is given, every input is also fed {@link Chunking#feedEveryWay every way}: whole, one byte at
 * a time and split in two at every offset, in every buffer kind and both buffer byte orders, which
 * must all come to the same frames, error and messages.
 */
class FrameDecoderTest {
  private static final byte[] TWO_FRAMES = {
    0, 0, 0, 3, 2, 'a', 'b', 'c',
    0, 0, 0, 2, 2, 'd', 'e'
  };
  private static final List<Frame> THE_TWO_FRAMES = List.of(
      Frame.of(Command.DATA, new byte[] {'a', 'b', 'c'}),
      Frame.of(Command.DATA, new byte[] {'d', 'e'}));

  private static final String UNKNOWN_SUFFIX =
      " (allowed: 0x01..0x04 and registered extensions 0x80..0xFF)";

  @Test
  void frameWithinOneChunk_payloadIsASliceOfTheInput() {
    List<Frame> frames = FrameDecoder.create().decode(ByteBuffer.wrap(TWO_FRAMES));

    assertThat(frames).hasSize(2);
    ByteBuffer first = frames.get(0).payload();
    assertThat(first.hasArray()).isTrue();
    assertThat(first.array()).isSameAs(TWO_FRAMES);
    assertThat(first.arrayOffset()).isEqualTo(5);
    assertThat(frames.get(1).payload().arrayOffset()).isEqualTo(13);
    assertThat(everyWay(TWO_FRAMES)).isEqualTo(clean(THE_TWO_FRAMES, 0));
  }

  @Test
  void directInput_framesAreSlicesOfTheDirectBuffer() {
    ByteBuffer direct = ByteBuffer.allocateDirect(TWO_FRAMES.length).put(TWO_FRAMES).flip();

    List<Frame> frames = FrameDecoder.create().decode(direct);

    assertThat(frames).extracting(f -> f.payload().isDirect()).containsExactly(true, true);
    assertThat(frames.get(0).payloadBytes()).containsExactly('a', 'b', 'c');
    assertThat(everyWay(TWO_FRAMES)).isEqualTo(clean(THE_TWO_FRAMES, 0));
  }

  @Test
  void frameSplitAcrossChunks_copiedIntoOneArrayOfItsLength() {
    FrameDecoder decoder = FrameDecoder.create();
    List<Frame> frames = new ArrayList<>();

    decoder.decode(ByteBuffer.wrap(TWO_FRAMES, 0, 6), frames::add);
    assertThat(frames).isEmpty();
    assertThat(decoder.bufferedBytes()).isEqualTo(6);
    assertThat(decoder.reservedBytes()).isEqualTo(5 + 3);
    decoder.decode(ByteBuffer.wrap(TWO_FRAMES, 6, TWO_FRAMES.length - 6), frames::add);

    assertThat(frames).hasSize(2);
    assertThat(frames.get(0).payload().array()).isNotSameAs(TWO_FRAMES).hasSize(3);
    assertThat(frames.get(0).payloadBytes()).containsExactly('a', 'b', 'c');
    assertThat(frames.get(1).payload().array()).isSameAs(TWO_FRAMES);
    assertThat(decoder.reservedBytes()).isEqualTo(5);
    assertThat(everyWay(TWO_FRAMES)).isEqualTo(clean(THE_TWO_FRAMES, 0));
  }

  @Test
  void decode_consumesTheWholeChunk() {
    ByteBuffer chunk = ByteBuffer.wrap(TWO_FRAMES, 0, 10);

    FrameDecoder.create().decode(chunk);

    assertThat(chunk.hasRemaining()).isFalse();
    Result result = everyWay(Arrays.copyOf(TWO_FRAMES, 10));
    assertThat(result.outcome()).isEqualTo(new Outcome(THE_TWO_FRAMES.subList(0, 1), null, 2));
    assertThat(result.endOfStreamMessage()).isEqualTo("stream ended mid-frame after 2 bytes of 5");
  }

  @Test
  void inputBufferInLittleEndianOrder_doesNotChangeHowTheLengthIsRead() {
    ByteBuffer chunk = ByteBuffer.wrap(TWO_FRAMES).order(ByteOrder.LITTLE_ENDIAN);

    List<Frame> frames = FrameDecoder.create().decode(chunk);

    assertThat(frames).extracting(Frame::payloadLength).containsExactly(3, 2);
    assertThat(chunk.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
    assertThat(everyWay(TWO_FRAMES)).isEqualTo(clean(THE_TWO_FRAMES, 0));
  }

  @Test
  void declaredLengthAboveMax_rejectedFromHeaderWithValueAndLimitInMessage() {
    byte[] header = {0x00, 0x4C, 0x4B, 0x40, 2}; // 5,000,000

    assertThatThrownBy(() -> FrameDecoder.create().decode(ByteBuffer.wrap(header)))
        .isInstanceOf(McpException.class)
        .hasMessage("declared length 5000000 exceeds max 4194304")
        .extracting(e -> ((McpException) e).closeCode())
        .isEqualTo(CloseCode.FRAME_TOO_LARGE);
    assertThat(everyWay(header))
        .isEqualTo(failed(List.of(), CloseCode.FRAME_TOO_LARGE, "declared length 5000000 exceeds max 4194304"));
  }

  @Test
  void declaredLength0xFFFFFFFF_reportedUnsigned() {
    byte[] header = {-1, -1, -1, -1, 2};

    assertThatThrownBy(() -> FrameDecoder.create().decode(ByteBuffer.wrap(header)))
        .hasMessage("declared length 4294967295 exceeds max 4194304");
    assertThat(everyWay(header)).isEqualTo(
        failed(List.of(), CloseCode.FRAME_TOO_LARGE, "declared length 4294967295 exceeds max 4194304"));
  }

  @Test
  void unknownCommand_protocolErrorNamingTheCommandAndTheAllowedOnes() {
    byte[] header = {0, 0, 0, 0, 0x42};

    assertThatThrownBy(() -> FrameDecoder.create().decode(ByteBuffer.wrap(header)))
        .isInstanceOf(McpException.class)
        .hasMessage("unknown command 0x42 (allowed: 0x01..0x04 and registered extensions 0x80..0xFF)")
        .extracting(e -> ((McpException) e).closeCode())
        .isEqualTo(CloseCode.PROTOCOL_ERROR);
    assertThat(everyWay(header))
        .isEqualTo(failed(List.of(), CloseCode.PROTOCOL_ERROR, "unknown command 0x42" + UNKNOWN_SUFFIX));
  }

  @Test
  void unregisteredExtension_messageNamesTheRegisteredOnes() {
    byte[] header = {0, 0, 0, 0, (byte) 0x80};
    CodecOptions some = CodecOptions.builder()
        .acceptExtension(0x81).acceptExtension(0x83).acceptExtension(0x84).acceptExtension(0x85)
        .acceptExtension(0xFF)
        .build();

    assertThat(everyWay(CodecOptions.defaults(), header).errorMessage())
        .isEqualTo("extension command 0x80 is not registered (registered: none)");
    assertThat(everyWay(some, header).errorMessage())
        .isEqualTo("extension command 0x80 is not registered (registered: 0x81, 0x83..0x85, 0xFF)");
  }

  @Test
  void afterAnError_everyFurtherCallIsRefused() {
    FrameDecoder decoder = FrameDecoder.create();
    byte[] bad = {0, 0, 0, 0, 9};
    assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(bad)))
        .isInstanceOf(McpException.class);

    assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(TWO_FRAMES)))
        .isInstanceOf(McpException.class)
        .hasMessage("decoder failed earlier: unknown command 0x09" + UNKNOWN_SUFFIX);
    assertThatThrownBy(() -> decoder.decode(ByteBuffer.allocate(0)))
        .isInstanceOf(McpException.class);
    assertThatThrownBy(decoder::endOfStream).isInstanceOf(McpException.class);
    assertThat(decoder.isFailed()).isTrue();
    assertThat(decoder.reservedBytes()).isEqualTo(5);
    assertThat(everyWay(bad))
        .isEqualTo(failed(List.of(), CloseCode.PROTOCOL_ERROR, "unknown command 0x09" + UNKNOWN_SUFFIX));
  }

  @Test
  void validateHeader_appliesTheRulesWithoutFailingTheDecoder() {
    CodecOptions max10 = CodecOptions.builder().maxPayloadBytes(10).build();
    FrameDecoder decoder = FrameDecoder.create(max10);

    assertThat(decoder.validateHeader(10, 2)).isSameAs(Command.DATA);
    assertThatThrownBy(() -> decoder.validateHeader(11, 2))
        .hasMessage("declared length 11 exceeds max 10");
    assertThatThrownBy(() -> decoder.validateHeader(0, 0x80))
        .hasMessage("extension command 0x80 is not registered (registered: none)");
    assertThat(decoder.isFailed()).isFalse();

    byte[] ten = new byte[15];
    ten[3] = 10;
    ten[4] = 2;
    assertThat(everyWay(max10, ten)).isEqualTo(clean(List.of(Frame.of(Command.DATA, new byte[10])), 0));
    byte[] eleven = {0, 0, 0, 11, 2};
    assertThat(everyWay(max10, eleven)).isEqualTo(
        failed(List.of(), CloseCode.FRAME_TOO_LARGE, "declared length 11 exceeds max 10"));
  }

  @Test
  void endOfStream_midFrame_protocolError() {
    FrameDecoder decoder = FrameDecoder.create();
    decoder.decode(ByteBuffer.wrap(TWO_FRAMES, 0, 7));

    assertThatThrownBy(decoder::endOfStream)
        .isInstanceOf(McpException.class)
        .hasMessage("stream ended mid-frame after 7 bytes of 8");
    Result result = everyWay(Arrays.copyOf(TWO_FRAMES, 7));
    assertThat(result.outcome()).isEqualTo(new Outcome(List.of(), null, 7));
    assertThat(result.endOfStreamMessage()).isEqualTo("stream ended mid-frame after 7 bytes of 8");
  }

  @Test
  void endOfStream_betweenFrames_isClean() {
    FrameDecoder decoder = FrameDecoder.create();
    decoder.decode(ByteBuffer.wrap(TWO_FRAMES));

    decoder.endOfStream();

    assertThat(decoder.isFailed()).isFalse();
    assertThat(everyWay(TWO_FRAMES).endOfStreamMessage()).isNull();
  }

  @Test
  void sinkThrows_exceptionPropagatesAndDecoderStaysUsable() {
    FrameDecoder decoder = FrameDecoder.create();
    ByteBuffer chunk = ByteBuffer.wrap(TWO_FRAMES);

    assertThatThrownBy(() -> decoder.decode(chunk, f -> {
      throw new IllegalStateException("sink");
    })).hasMessage("sink");

    assertThat(decoder.isFailed()).isFalse();
    assertThat(decoder.decode(chunk)).hasSize(1);
    assertThat(everyWay(TWO_FRAMES)).isEqualTo(clean(THE_TWO_FRAMES, 0));
  }

  @Test
  void maxPayloadFrameSplit_assembledExactly() {
    int max = 1 << 13;
    FrameDecoder decoder = FrameDecoder.create(CodecOptions.builder().maxPayloadBytes(max).build());
    byte[] payload = new byte[max];
    for (int i = 0; i < max; i++) {
      payload[i] = (byte) (i * 31);
    }
    byte[] wire = FrameEncoder.create(decoder.options()).encode(Frame.of(Command.DATA, payload));
    List<Frame> frames = new ArrayList<>();

    for (int offset = 0; offset < wire.length; offset += 1021) {
      decoder.decode(ByteBuffer.wrap(wire, offset, Math.min(1021, wire.length - offset)), frames::add);
      if (frames.isEmpty()) {
        assertThat(decoder.reservedBytes()).isEqualTo(max + 5);
      }
    }

    assertThat(frames).containsExactly(Frame.of(Command.DATA, payload));
    assertThat(everyWay(decoder.options(), wire))
        .isEqualTo(clean(List.of(Frame.of(Command.DATA, payload)), 0));
  }

  /**
   * Every command byte, with no extension registered and with all of them: 1..4 are accepted, 0
   * and 5..0x7F are unknown, 0x80..0xFF are accepted only when registered. The frame sits between
   * two valid ones, so a rejected header still lets the one before it out.
   */
  @ParameterizedTest(name = "command 0x{0}, all extensions registered: {1}")
  @MethodSource("everyCommandByte")
  void commandByte_everyValueEveryCutting_acceptedOrRejectedAsTheRulesSay(String hex, boolean allExtensions) {
    int code = Integer.parseInt(hex, 16);
    CodecOptions options = allExtensions
        ? CodecOptions.builder().acceptAllExtensions().build()
        : CodecOptions.defaults();
    byte[] stream = {
      0, 0, 0, 0, 3,
      0, 0, 0, 1, (byte) code, (byte) 0xEE,
      0, 0, 0, 0, 3
    };
    Frame heartbeat = Frame.of(Command.HEARTBEAT, new byte[0]);

    Result result = everyWay(options, stream);

    boolean core = code >= 1 && code <= 4;
    boolean extension = code >= 0x80;
    if (core || (extension && allExtensions)) {
      assertThat(result).isEqualTo(
          clean(List.of(heartbeat, Frame.of(Command.of(code), new byte[] {(byte) 0xEE}), heartbeat), 0));
    } else if (extension) {
      assertThat(result).isEqualTo(failed(List.of(heartbeat), CloseCode.PROTOCOL_ERROR,
          "extension command 0x" + hex + " is not registered (registered: none)"));
    } else {
      assertThat(result).isEqualTo(
          failed(List.of(heartbeat), CloseCode.PROTOCOL_ERROR, "unknown command 0x" + hex + UNKNOWN_SUFFIX));
    }
  }

  static Stream<Arguments> everyCommandByte() {
    return IntStream.range(0, 256).boxed().flatMap(code -> Stream.of(false, true)
        .map(all -> Arguments.of(String.format("%02X", code), all)));
  }

  private static Result everyWay(byte[] stream) {
    return everyWay(CodecOptions.defaults(), stream);
  }

  private static Result everyWay(CodecOptions options, byte[] stream) {
    return Chunking.feedEveryWay(options, stream);
  }

  private static Result clean(List<Frame> frames, int pending) {
    return new Result(new Outcome(frames, null, pending), null, null);
  }

  private static Result failed(List<Frame> frames, CloseCode code, String message) {
    return new Result(new Outcome(frames, code, 0), message, null);
  }
}
