package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
  private static final byte[] TWO_FRAMES = {
    0, 0, 0, 3, 2, 'a', 'b', 'c',
    0, 0, 0, 2, 2, 'd', 'e'
  };

  @Test
  void frameWithinOneChunk_payloadIsASliceOfTheInput() {
    List<Frame> frames = FrameDecoder.create().decode(ByteBuffer.wrap(TWO_FRAMES));

    assertThat(frames).hasSize(2);
    ByteBuffer first = frames.get(0).payload();
    assertThat(first.hasArray()).isTrue();
    assertThat(first.array()).isSameAs(TWO_FRAMES);
    assertThat(first.arrayOffset()).isEqualTo(5);
    assertThat(frames.get(1).payload().arrayOffset()).isEqualTo(13);
  }

  @Test
  void directInput_framesAreSlicesOfTheDirectBuffer() {
    ByteBuffer direct = ByteBuffer.allocateDirect(TWO_FRAMES.length).put(TWO_FRAMES).flip();

    List<Frame> frames = FrameDecoder.create().decode(direct);

    assertThat(frames).extracting(f -> f.payload().isDirect()).containsExactly(true, true);
    assertThat(frames.get(0).payloadBytes()).containsExactly('a', 'b', 'c');
  }

  @Test
  void frameSplitAcrossChunks_copiedIntoOneArrayOfItsLength() {
    FrameDecoder decoder = FrameDecoder.create();
    List<Frame> frames = new ArrayList<>();

    decoder.decode(ByteBuffer.wrap(TWO_FRAMES, 0, 6), frames::add);
    assertThat(frames).isEmpty();
    assertThat(decoder.bufferedBytes()).isEqualTo(6);
    decoder.decode(ByteBuffer.wrap(TWO_FRAMES, 6, TWO_FRAMES.length - 6), frames::add);

    assertThat(frames).hasSize(2);
    assertThat(frames.get(0).payload().array()).isNotSameAs(TWO_FRAMES).hasSize(3);
    assertThat(frames.get(0).payloadBytes()).containsExactly('a', 'b', 'c');
    assertThat(frames.get(1).payload().array()).isSameAs(TWO_FRAMES);
  }

  @Test
  void decode_consumesTheWholeChunk() {
    ByteBuffer chunk = ByteBuffer.wrap(TWO_FRAMES, 0, 10);

    FrameDecoder.create().decode(chunk);

    assertThat(chunk.hasRemaining()).isFalse();
  }

  @Test
  void inputBufferInLittleEndianOrder_doesNotChangeHowTheLengthIsRead() {
    ByteBuffer chunk = ByteBuffer.wrap(TWO_FRAMES).order(ByteOrder.LITTLE_ENDIAN);

    List<Frame> frames = FrameDecoder.create().decode(chunk);

    assertThat(frames).extracting(Frame::payloadLength).containsExactly(3, 2);
    assertThat(chunk.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void declaredLengthAboveMax_rejectedFromHeaderWithValueAndLimitInMessage() {
    byte[] header = {0x00, 0x4C, 0x4B, 0x40, 2}; // 5,000,000

    assertThatThrownBy(() -> FrameDecoder.create().decode(ByteBuffer.wrap(header)))
        .isInstanceOf(McpException.class)
        .hasMessage("declared length 5000000 exceeds max 4194304")
        .extracting(e -> ((McpException) e).closeCode())
        .isEqualTo(CloseCode.FRAME_TOO_LARGE);
  }

  @Test
  void declaredLength0xFFFFFFFF_reportedUnsigned() {
    byte[] header = {-1, -1, -1, -1, 2};

    assertThatThrownBy(() -> FrameDecoder.create().decode(ByteBuffer.wrap(header)))
        .hasMessage("declared length 4294967295 exceeds max 4194304");
  }

  @Test
  void unknownCommand_protocolErrorNamingTheCommand() {
    byte[] header = {0, 0, 0, 0, 0x42};

    assertThatThrownBy(() -> FrameDecoder.create().decode(ByteBuffer.wrap(header)))
        .isInstanceOf(McpException.class)
        .hasMessage("unknown command 0x42")
        .extracting(e -> ((McpException) e).closeCode())
        .isEqualTo(CloseCode.PROTOCOL_ERROR);
  }

  @Test
  void afterAnError_everyFurtherCallIsRefused() {
    FrameDecoder decoder = FrameDecoder.create();
    assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 9})))
        .isInstanceOf(McpException.class);

    assertThatThrownBy(() -> decoder.decode(ByteBuffer.wrap(TWO_FRAMES)))
        .isInstanceOf(McpException.class)
        .hasMessageStartingWith("decoder failed earlier: unknown command 0x09");
    assertThatThrownBy(() -> decoder.decode(ByteBuffer.allocate(0)))
        .isInstanceOf(McpException.class);
    assertThatThrownBy(decoder::endOfStream).isInstanceOf(McpException.class);
    assertThat(decoder.isFailed()).isTrue();
  }

  @Test
  void validateHeader_appliesTheRulesWithoutFailingTheDecoder() {
    FrameDecoder decoder = FrameDecoder.create(CodecOptions.builder().maxPayloadBytes(10).build());

    assertThat(decoder.validateHeader(10, 2)).isSameAs(Command.DATA);
    assertThatThrownBy(() -> decoder.validateHeader(11, 2))
        .hasMessage("declared length 11 exceeds max 10");
    assertThatThrownBy(() -> decoder.validateHeader(0, 0x80))
        .hasMessage("extension command 0x80 is not registered");
    assertThat(decoder.isFailed()).isFalse();
  }

  @Test
  void endOfStream_midFrame_protocolError() {
    FrameDecoder decoder = FrameDecoder.create();
    decoder.decode(ByteBuffer.wrap(TWO_FRAMES, 0, 7));

    assertThatThrownBy(decoder::endOfStream)
        .isInstanceOf(McpException.class)
        .hasMessage("stream ended mid-frame after 7 bytes of 8");
  }

  @Test
  void endOfStream_betweenFrames_isClean() {
    FrameDecoder decoder = FrameDecoder.create();
    decoder.decode(ByteBuffer.wrap(TWO_FRAMES));

    decoder.endOfStream();

    assertThat(decoder.isFailed()).isFalse();
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
  }

  @Test
  void maxPayloadFrameSplit_assembledExactly() {
    int max = 1 << 16;
    FrameDecoder decoder = FrameDecoder.create(CodecOptions.builder().maxPayloadBytes(max).build());
    byte[] payload = new byte[max];
    for (int i = 0; i < max; i++) {
      payload[i] = (byte) (i * 31);
    }
    byte[] wire = FrameEncoder.create(decoder.options()).encode(Frame.of(Command.DATA, payload));
    List<Frame> frames = new ArrayList<>();

    for (int offset = 0; offset < wire.length; offset += 4093) {
      decoder.decode(ByteBuffer.wrap(wire, offset, Math.min(4093, wire.length - offset)), frames::add);
    }

    assertThat(frames).containsExactly(Frame.of(Command.DATA, payload));
  }
}
