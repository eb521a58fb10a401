package io.mcp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class FrameEncoderTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void dataFrame_goldenBytes() {
    byte[] bytes = FrameEncoder.create().encode(Frame.of(Command.DATA, new byte[] {'h', 'i'}));

    assertThat(HEX.formatHex(bytes)).isEqualTo("00000002026869");
  }

  @Test
  void littleEndianOption_writesLengthLittleEndian() {
    FrameEncoder encoder =
        FrameEncoder.create(CodecOptions.builder().byteOrder(ByteOrder.LITTLE_ENDIAN).build());

    byte[] bytes = encoder.encode(Frame.of(Command.DATA, new byte[258]));

    assertThat(HEX.formatHex(bytes, 0, 5)).isEqualTo("0201000002");
  }

  @Test
  void destinationInLittleEndianOrder_stillWritesBigEndianAndKeepsItsOrder() {
    ByteBuffer dst = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);

    FrameEncoder.create().encode(Frame.of(Command.CLOSE, new byte[] {0, 7}), dst);

    assertThat(HEX.formatHex(dst.array(), 0, dst.position())).isEqualTo("00000002040007");
    assertThat(dst.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void payloadAboveMax_refusedWithValueAndLimit() {
    FrameEncoder encoder = FrameEncoder.create(CodecOptions.builder().maxPayloadBytes(4).build());

    assertThatThrownBy(() -> encoder.encode(Frame.of(Command.DATA, new byte[5])))
        .isInstanceOf(McpException.class)
        .hasMessage("payload length 5 exceeds max 4")
        .extracting(e -> ((McpException) e).closeCode())
        .isEqualTo(CloseCode.FRAME_TOO_LARGE);
  }

  @Test
  void destinationTooSmall_overflowAndNothingWritten() {
    ByteBuffer dst = ByteBuffer.allocate(6);

    assertThatThrownBy(() -> FrameEncoder.create().encode(Frame.of(Command.DATA, new byte[2]), dst))
        .isInstanceOf(BufferOverflowException.class);
    assertThat(dst.position()).isZero();
  }

  @Test
  void encode_doesNotConsumeThePayload() {
    Frame frame = Frame.of(Command.DATA, ByteBuffer.wrap(new byte[] {1, 2, 3}));
    FrameEncoder encoder = FrameEncoder.create();

    byte[] first = encoder.encode(frame);
    byte[] second = encoder.encode(frame);

    assertThat(second).isEqualTo(first).hasSize(8);
  }

  @Test
  void gathering_headerIsSeparateAndPayloadIsNotCopied() {
    byte[] payload = {9, 8, 7};
    ByteBuffer[] parts = FrameEncoder.create().encodeGathering(Frame.of(Command.DATA, payload));

    assertThat(parts).hasSize(2);
    assertThat(HEX.formatHex(parts[0].array(), 0, parts[0].remaining())).isEqualTo("0000000302");
    assertThat(parts[1].array()).isSameAs(payload);
    assertThat(parts[1].remaining()).isEqualTo(3);
  }

  @Test
  void frameOfBufferSlice_usesOnlyItsRemainingBytes() {
    ByteBuffer buffer = ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4});
    buffer.position(1).limit(3);

    Frame frame = Frame.of(Command.DATA, buffer);
    buffer.position(0).limit(5);

    assertThat(HEX.formatHex(FrameEncoder.create().encode(frame))).isEqualTo("00000002020102");
  }

  @Test
  void extensionCommand_encodedWithItsCode() {
    byte[] bytes = FrameEncoder.create().encode(Frame.empty(Command.extension(0xA5)));

    assertThat(HEX.formatHex(bytes)).isEqualTo("00000000a5");
  }
}
